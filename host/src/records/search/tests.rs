use super::*;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn date_prefixes_become_ranges() {
    let f = parse_date_filter("date", "2020").unwrap();
    assert_eq!(
        (f.prefix, f.lo.as_str(), f.hi.as_str()),
        (Prefix::Eq, "2020", "2021")
    );
    let f = parse_date_filter("date", "ge2020-12").unwrap();
    assert_eq!(
        (f.prefix, f.lo.as_str(), f.hi.as_str()),
        (Prefix::Ge, "2020-12", "2021-01")
    );
    let f = parse_date_filter("date", "lt2020-02-28").unwrap();
    assert_eq!((f.lo.as_str(), f.hi.as_str()), ("2020-02-28", "2020-02-29"));
    let f = parse_date_filter("date", "eq2020-05-01T10:00:00+02:00").unwrap();
    assert_eq!(
        (f.lo.as_str(), f.hi.as_str()),
        ("2020-05-01T08:00:00.000Z", "2020-05-01T08:00:01.000Z")
    );
    let f = parse_date_filter("date", "gt2020-05-01T10:00Z").unwrap();
    assert_eq!(f.hi, "2020-05-01T10:01:00.000Z");
    let f = parse_date_filter("date", "ap2020-01-01").unwrap();
    assert!(
        f.lo.as_str() < "2020-01-01" && f.hi.as_str() > "2020-01-02",
        "{f:?}"
    );
    for bad in [
        "20",
        "2020-13",
        "2020-02-30",
        "xx2020",
        "2020/01/01",
        "2020-01-01T25:00:00Z",
        "2020-01-01T10:00:00",
    ] {
        assert!(parse_date_filter("date", bad).is_err(), "{bad}");
    }
}

#[test]
fn unsupported_parameters_and_modifiers_are_errors() {
    assert_eq!(
        Search::parse("Observation", &params(&[("subject", "Patient/1")])).unwrap_err(),
        QueryError::Unsupported("subject".into())
    );
    let err = Search::parse("Observation", &params(&[("code:text", "x")])).unwrap_err();
    assert!(err.to_string().contains(":text"), "{err}");
    assert!(Search::parse("Observation", &params(&[("_count", "0")])).is_err());
    assert!(Search::parse("Observation", &params(&[("_count", "1001")])).is_err());
    assert!(Search::parse("Observation", &params(&[("_sort", "code")])).is_err());
    assert!(Search::parse("Observation", &params(&[("_cursor", "zz")])).is_err());
    assert!(Search::parse("Observation", &params(&[("code", "|")])).is_err());
    assert!(Search::parse("Observation", &params(&[("_id", "a/b")])).is_err());
    assert!(Search::parse("observation", &[]).is_err());
}

#[test]
fn token_values_take_every_form() {
    let s = Search::parse(
        "Observation",
        &params(&[(
            "code",
            "http://loinc.org|2345-7,|local,http://snomed.info/sct|,bare",
        )]),
    )
    .unwrap();
    let alts = &s.tokens[0].1;
    assert_eq!(
        alts[0],
        TokenFilter {
            system: Some("http://loinc.org".into()),
            code: Some("2345-7".into())
        }
    );
    assert_eq!(
        alts[1],
        TokenFilter {
            system: Some(String::new()),
            code: Some("local".into())
        }
    );
    assert_eq!(
        alts[2],
        TokenFilter {
            system: Some("http://snomed.info/sct".into()),
            code: None
        }
    );
    assert_eq!(
        alts[3],
        TokenFilter {
            system: None,
            code: Some("bare".into())
        }
    );
}

#[test]
fn cursors_round_trip_and_text_queries_are_quoted() {
    let c = Cursor {
        key: "2020-01-01T00:00:00.000Z".into(),
        id: 42,
    };
    assert_eq!(Cursor::decode("_cursor", &c.encode()).unwrap(), c);
    assert_eq!(
        fts_query("blood \"pressure\" OR"),
        Some("\"blood\"* \"pressure\"* \"OR\"*".into())
    );
    assert_eq!(fts_query("  ,; "), None);
}
