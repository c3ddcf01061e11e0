//! Search, timeline and related records over a real host, with a crafted
//! patient synced through the sandbox and the wasm connector.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use hearth_sandbox::{SandboxData, SandboxOptions};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const LOINC: &str = "http://loinc.org";
const CAT: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

fn obs(
    id: &str,
    code: &str,
    when: Option<&str>,
    category: &str,
    status: &str,
    value: f64,
) -> Value {
    let mut o = json!({
        "resourceType": "Observation", "id": id, "status": status,
        "category": [{"coding": [{"system": CAT, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": if code == "2345-7" { "Glucose" } else { "Heart rate" }}]},
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "valueQuantity": if code == "2345-7" {
            json!({"value": value, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"})
        } else {
            json!({"value": value, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"})
        },
        "referenceRange": [{"low": {"value": 70}, "high": {"value": 100}}]
    });
    // Undated observations carry no meta either (lastUpdated would stand in for the date).
    if let Some(w) = when {
        o["effectiveDateTime"] = w.into();
        o["meta"] =
            json!({"lastUpdated": format!("2024-01-{:02}T00:00:00Z", value as u32 % 28 + 1)});
    }
    o
}

fn patient_bundle() -> Value {
    let resources = vec![
        json!({"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ada"], "family": "Lovelace"}], "birthDate": "1980-02-03"}),
        json!({"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
               "type": [{"text": "Annual checkup"}], "subject": {"reference": "Patient/p1"},
               "period": {"start": "2021-03-04T09:00:00Z"}}),
        json!({"resourceType": "Condition", "id": "c1", "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2"}]},
               "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
               "onsetDateTime": "2021-03-04"}),
        obs(
            "g1",
            "2345-7",
            Some("2020-01-15T08:00:00Z"),
            "laboratory",
            "final",
            95.0,
        ),
        obs(
            "g2",
            "2345-7",
            Some("2021-03-04T09:30:00+01:00"),
            "laboratory",
            "final",
            130.0,
        ),
        obs(
            "g3",
            "2345-7",
            Some("2021-06-30"),
            "laboratory",
            "amended",
            110.0,
        ),
        obs(
            "g4",
            "2345-7",
            Some("2022-11-01T12:00:00.500Z"),
            "laboratory",
            "final",
            101.0,
        ),
        obs(
            "h1",
            "8867-4",
            Some("2021-03-04T09:05:00Z"),
            "vital-signs",
            "final",
            72.0,
        ),
        obs("h2", "8867-4", None, "vital-signs", "preliminary", 80.0),
        json!({"resourceType": "Medication", "id": "m1", "code": {"text": "Metformin 500 mg"}}),
    ];
    json!({"resourceType": "Bundle", "type": "collection",
           "entry": resources.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
}

struct World {
    host: Host,
    _sandbox: hearth_sandbox::RunningSandbox,
    source: String,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p1.json"), patient_bundle().to_string()).unwrap();
    let data = SandboxData::from_bundle_dir(dir.path()).unwrap();
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    let source = host
        .add_source(&sandbox.base_url, "p1", &token, "fhir-r4")
        .await;
    let (status, body) = host
        .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stored"], 10, "{body}");
    World {
        host,
        _sandbox: sandbox,
        source,
    }
}

impl World {
    /// Ids matched by a search, in order.
    async fn ids(&self, query: &str) -> Vec<String> {
        let (status, bundle) = self
            .host
            .get(&self.host.at(&format!("/fhir/{query}")))
            .await;
        assert_eq!(status, 200, "{query}: {bundle}");
        assert_eq!(bundle["type"], "searchset");
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
            .collect()
    }

    async fn set(&self, query: &str) -> BTreeSet<String> {
        self.ids(query).await.into_iter().collect()
    }
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_search_parameter_and_prefix() {
    let w = world().await;
    // Default order: newest clinical date first; undated last.
    assert_eq!(
        w.ids("Observation").await,
        ["g4", "g3", "h1", "g2", "g1", "h2"]
    );
    assert_eq!(
        w.ids("Observation?_sort=date").await,
        ["h2", "g1", "g2", "h1", "g3", "g4"]
    );
    assert_eq!(w.set("Observation?_id=g1,h2,c1").await, set(&["g1", "h2"]));
    // Token forms.
    let glucose = set(&["g1", "g2", "g3", "g4"]);
    assert_eq!(
        w.set("Observation?code=http://loinc.org|2345-7").await,
        glucose
    );
    assert_eq!(w.set("Observation?code=2345-7").await, glucose);
    assert_eq!(w.set("Observation?code=http://loinc.org|").await.len(), 6);
    assert_eq!(
        w.set("Observation?code=|2345-7").await,
        set(&[]),
        "no code without a system"
    );
    assert_eq!(
        w.set("Observation?code=http://snomed.info/sct|2345-7")
            .await,
        set(&[])
    );
    assert_eq!(
        w.set("Observation?code=2345-7,8867-4").await.len(),
        6,
        "comma is OR"
    );
    assert_eq!(
        w.set(&format!("Observation?category={CAT}|vital-signs"))
            .await,
        set(&["h1", "h2"])
    );
    assert_eq!(w.set("Condition?code=44054006").await, set(&["c1"]));
    // Status, and AND across parameters.
    assert_eq!(
        w.set("Observation?status=amended,preliminary").await,
        set(&["g3", "h2"])
    );
    assert_eq!(
        w.set("Observation?code=2345-7&status=final").await,
        set(&["g1", "g2", "g4"])
    );
    assert_eq!(w.set("Condition?status=active").await, set(&["c1"]));
    // Full text over display texts, prefix words, any case and accents.
    assert_eq!(w.set("Observation?_text=gluc").await, glucose);
    assert_eq!(
        w.set("Observation?_text=heart%20RATE").await,
        set(&["h1", "h2"])
    );
    assert_eq!(w.set("Medication?_text=metformin").await, set(&["m1"]));
    assert_eq!(w.set("Observation?_text=metformin").await, set(&[]));
    // Date prefixes; g2 is 2021-03-04T08:30Z, h1 09:05Z, g3 the date 2021-06-30.
    let date = |q: &str| {
        let query = format!("Observation?date={q}");
        let w = &w;
        async move { w.set(&query).await }
    };
    assert_eq!(date("2021").await, set(&["g2", "g3", "h1"]));
    assert_eq!(date("eq2021-03-04").await, set(&["g2", "h1"]));
    assert_eq!(
        date("ne2021").await,
        set(&["g1", "g4"]),
        "undated never matches a date"
    );
    assert_eq!(date("lt2021-03-04").await, set(&["g1"]));
    assert_eq!(date("le2021-03-04").await, set(&["g1", "g2", "h1"]));
    assert_eq!(date("gt2021-06").await, set(&["g4"]));
    assert_eq!(date("ge2021-06").await, set(&["g3", "g4"]));
    assert_eq!(date("sa2021-03-04").await, set(&["g3", "g4"]));
    assert_eq!(date("eb2020-02").await, set(&["g1"]));
    assert_eq!(date("ap2022-11-01").await, set(&["g4"]));
    assert_eq!(
        date("eq2021-03-04T09:30:00%2B01:00").await,
        set(&["g2"]),
        "zones convert to UTC"
    );
    assert_eq!(
        date("ge2021-01-01&date=lt2021-04-01").await,
        set(&["g2", "h1"]),
        "repeats are ANDed"
    );
    assert_eq!(
        date("eq2022-11-01T12:00:00Z").await,
        set(&["g4"]),
        "fractions within the second"
    );
    // _lastUpdated (meta.lastUpdated, day value % 28 + 1): g1 12th, h1 17th, g4 18th,
    // g2 19th, g3 27th; h2 has none, so the time it was stored (now) counts.
    assert_eq!(
        w.set("Observation?_lastUpdated=2024-01-19").await,
        set(&["g2"])
    );
    assert_eq!(
        w.set("Observation?_lastUpdated=lt2024-01-13").await,
        set(&["g1"])
    );
    assert_eq!(
        w.ids("Observation?_sort=-_lastUpdated&_count=2").await,
        ["h2", "g3"]
    );
    assert_eq!(
        w.ids("Observation?_sort=_lastUpdated&_count=2").await,
        ["g1", "h1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_walks_every_match_once_and_rejects_bad_queries() {
    let w = world().await;
    // Pages of 4 over 6 matches, then of 3 (an exact multiple), by following `next`.
    for count in [4, 3, 6, 7, 1] {
        let mut url = format!(
            "{}/fhir/Observation?_count={count}&_total=accurate",
            w.host.at("")
        );
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let (status, bundle) = w.host.get(&url).await;
            assert_eq!(status, 200, "{bundle}");
            assert_eq!(bundle["total"], 6);
            let entries = bundle["entry"].as_array().unwrap();
            assert!(entries.len() <= count);
            seen.extend(
                entries
                    .iter()
                    .map(|e| e["resource"]["id"].as_str().unwrap().to_string()),
            );
            pages += 1;
            let next = bundle["link"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["relation"] == "next")
                .map(|l| l["url"].as_str().unwrap().to_string());
            match next {
                Some(next) => {
                    assert!(next.starts_with("http://"), "{next}");
                    url = next[next.find("/api/").unwrap()..].to_string();
                }
                None => break,
            }
        }
        assert_eq!(seen, ["g4", "g3", "h1", "g2", "g1", "h2"], "count {count}");
        assert_eq!(
            pages,
            6_usize.div_ceil(count),
            "count {count}: no empty last page"
        );
    }
    // A single system|code search runs from the token index; it pages the same way.
    let (seen, totals) = follow(
        &w.host,
        "code=http://loinc.org|2345-7&_count=1&_total=accurate",
    )
    .await;
    assert_eq!(seen, ["g4", "g3", "g2", "g1"]);
    assert!(totals.iter().all(|t| *t == 4), "{totals:?}");
    // Several system|code alternatives run from the token index too: same order, same pages.
    let (seen, totals) = follow(
        &w.host,
        "code=http://loinc.org|2345-7,http://loinc.org|8867-4&_count=2&_total=accurate",
    )
    .await;
    assert_eq!(seen, ["g4", "g3", "h1", "g2", "g1", "h2"]);
    assert!(totals.iter().all(|t| *t == 6), "{totals:?}");
    for (query, total) in [
        ("code=http://loinc.org|2345-7&date=2021", 2),
        ("code=2345-7&date=ge2021-06", 2),
        ("code=http://loinc.org|2345-7&status=amended", 1),
        ("category=laboratory&_text=glucose", 4),
    ] {
        let (_, bundle) = w
            .host
            .get(
                &w.host
                    .at(&format!("/fhir/Observation?{query}&_total=accurate")),
            )
            .await;
        assert_eq!(bundle["total"], total, "{query}: {bundle}");
        assert_eq!(
            bundle["entry"].as_array().map(Vec::len),
            Some(total),
            "{query}"
        );
    }
    let (_, bundle) = w.host.get(&w.host.at("/fhir/Observation")).await;
    assert!(bundle.get("total").is_none(), "no total unless asked");
    assert_eq!(
        bundle["entry"][0]["fullUrl"].as_str().unwrap(),
        format!("{}{}", w.host.base, w.host.at("/records/Observation/g4"))
    );
    for (query, kind) in [
        ("Observation?subject=Patient/p1", "unsupported-parameter"),
        ("Observation?code:text=glucose", "invalid-query"),
        ("Observation?date=2021-13", "invalid-query"),
        ("Observation?date=xx2021", "invalid-query"),
        ("Observation?_count=0", "invalid-query"),
        ("Observation?_count=5000", "invalid-query"),
        ("Observation?_sort=code", "invalid-query"),
        ("Observation?_cursor=nonsense", "invalid-query"),
        ("Observation?_total=maybe", "invalid-query"),
        ("Observation?code=", "invalid-query"),
        ("observation", "invalid-query"),
    ] {
        let (status, problem) = w.host.get(&w.host.at(&format!("/fhir/{query}"))).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(
            problem["type"],
            format!("urn:hearth:problem:{kind}"),
            "{query}: {problem}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_is_chronological_filterable_and_paged() {
    let w = world().await;
    let page = |q: String| {
        let host = &w.host;
        async move {
            let (status, body) = host.get(&host.at(&format!("/timeline?{q}"))).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let ids = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}/{}",
                    i["resource_type"].as_str().unwrap(),
                    i["id"].as_str().unwrap()
                )
            })
            .collect()
    };
    let all = page("limit=500".into()).await;
    let order = ids(&all);
    assert_eq!(order.len(), 10);
    // Date-times of a day sort after the bare date of that day; undated last.
    assert_eq!(
        &order[..8],
        [
            "Observation/g4",
            "Observation/g3",
            "Observation/h1",
            "Encounter/e1",
            "Observation/g2",
            "Condition/c1",
            "Observation/g1",
            "Patient/p1"
        ]
    );
    assert_eq!(
        order[8..].iter().cloned().collect::<BTreeSet<_>>(),
        set(&["Medication/m1", "Observation/h2"])
    );
    assert_eq!(all["items"][5]["display"], "Diabetes mellitus type 2");
    assert_eq!(all["items"][5]["status"], "active");
    assert_eq!(all["items"][5]["date"], "2021-03-04");
    // The number is listed apart from the name, with the digits it was sent with.
    assert_eq!(all["items"][0]["display"], "Glucose");
    let value = &all["items"][0]["values"][0];
    assert_eq!(value["value"].to_string(), "101.0");
    assert_eq!(
        (value["unit"].as_str(), value["ucum"].as_str()),
        (Some("mg/dL"), Some("mg/dL"))
    );
    assert_eq!(value["flag"], "high", "above the 70-100 range");
    assert!(
        all["items"][5].get("values").is_none(),
        "a condition has no values"
    );
    // Paging by cursor gives the same stream.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("limit=3&cursor={c}"),
            None => "limit=3".into(),
        };
        let body = page(q).await;
        walked.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked, order);
    // Filters.
    assert_eq!(
        ids(&page("type=Encounter,Condition".into()).await),
        ["Encounter/e1", "Condition/c1"]
    );
    assert_eq!(
        ids(&page(format!("source={}&type=Patient", w.source)).await),
        ["Patient/p1"]
    );
    assert_eq!(ids(&page("source=other".into()).await).len(), 0);
    let in_2021 = ids(&page("from=2021-01-01&to=2022".into()).await);
    assert_eq!(
        in_2021,
        [
            "Observation/g3",
            "Observation/h1",
            "Encounter/e1",
            "Observation/g2",
            "Condition/c1"
        ]
    );
    for bad in [
        "type=observation",
        "limit=0",
        "limit=501",
        "cursor=zz",
        "from=2021-02-30",
        "colour=red",
    ] {
        let (status, _) = w.host.get(&w.host.at(&format!("/timeline?{bad}"))).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_records_both_ways_and_profiles_stay_apart() {
    let w = world().await;
    let (status, related) = w
        .host
        .get(&w.host.at("/records/Encounter/e1/related"))
        .await;
    assert_eq!(status, 200, "{related}");
    let names = |list: &Value| -> BTreeSet<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}/{}",
                    i["resource_type"].as_str().unwrap(),
                    i["id"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(names(&related["references"]), set(&["Patient/p1"]));
    assert_eq!(
        names(&related["referenced_by"]),
        set(&[
            "Condition/c1",
            "Observation/g1",
            "Observation/g2",
            "Observation/g3",
            "Observation/g4",
            "Observation/h1",
            "Observation/h2"
        ])
    );
    let (_, related) = w
        .host
        .get(&w.host.at("/records/Observation/g1/related"))
        .await;
    assert_eq!(
        names(&related["references"]),
        set(&["Encounter/e1", "Patient/p1"])
    );
    assert_eq!(
        w.host
            .get(&w.host.at("/records/Encounter/nope/related"))
            .await
            .0,
        404
    );
    // Another profile of the same user sees none of it.
    let (status, other) = w
        .host
        .post("/api/profiles", &json!({"name": "Other"}))
        .await;
    assert_eq!(status, 201);
    let other = format!("/api/profiles/{}", other["id"].as_str().unwrap());
    let (_, bundle) = w.host.get(&format!("{other}/fhir/Observation")).await;
    assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(0));
    let (_, tl) = w.host.get(&format!("{other}/timeline")).await;
    assert_eq!(tl["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        w.host
            .get(&format!("{other}/records/Encounter/e1/related"))
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_series_convert_units_across_sources_and_flag_results() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p1.json"), patient_bundle().to_string()).unwrap();
    // A second provider reports glucose in g/L (convertible) and mmol/L (needs a molar mass).
    let quantity = |value: f64, unit: &str| json!({"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit});
    let other = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p2"}},
        {"resource": {"resourceType": "Observation", "id": "x1", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "2345-7", "display": "Glucose [Mass/volume] in Serum"}]},
            "subject": {"reference": "Patient/p2"}, "effectiveDateTime": "2023-05-01",
            "valueQuantity": quantity(1.2, "g/L"),
            "referenceRange": [{"low": {"value": 0.7}, "high": {"value": 1.0}}]}},
        {"resource": {"resourceType": "Observation", "id": "x2", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "2345-7"}]}, "interpretation": [{"coding": [{"code": "N"}]}],
            "subject": {"reference": "Patient/p2"}, "effectiveDateTime": "2023-06-01",
            "valueQuantity": quantity(5.5, "mmol/L")}}
    ]});
    std::fs::write(dir.path().join("p2.json"), other.to_string()).unwrap();
    let data = SandboxData::from_bundle_dir(dir.path()).unwrap();
    let options = SandboxOptions::with_random_token();
    let token = options.token.clone();
    let sandbox = common::sandbox(data, options).await;
    let host = Host::start("plugins", PluginLimits::default()).await;
    for patient in ["p1", "p2"] {
        let source = host
            .add_source(&sandbox.base_url, patient, &token, "fhir-r4")
            .await;
        let (status, body) = host
            .post(&host.at(&format!("/sources/{source}/sync")), &Value::Null)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, tests) = host.get(&host.at("/labs")).await;
    assert_eq!(status, 200);
    assert_eq!(tests["tests"][0]["code"], "2345-7");
    assert_eq!(tests["tests"][0]["count"], 6);
    assert_eq!(tests["tests"][1]["code"], "8867-4");
    // The list carries the latest result as recorded, with its flag.
    assert_eq!(
        tests["tests"][0]["latest"],
        json!({"id": "x2", "value": 5.5, "unit": "mmol/L", "flag": "normal"})
    );
    let (status, series) = host
        .get(&host.at("/labs/series?code=http://loinc.org|2345-7"))
        .await;
    assert_eq!(status, 200, "{series}");
    assert_eq!(series["unit"], "mg/dL", "the most used unit");
    let points = series["points"].as_array().unwrap();
    let ids: Vec<&str> = points.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["g1", "g2", "g3", "g4", "x1", "x2"],
        "oldest first across sources"
    );
    let x1 = &points[4];
    assert!((x1["value"].as_f64().unwrap() - 120.0).abs() < 1e-9, "{x1}");
    assert_eq!(
        (x1["original_value"].as_f64(), x1["original_unit"].as_str()),
        (Some(1.2), Some("g/L"))
    );
    assert!(
        (x1["high"].as_f64().unwrap() - 100.0).abs() < 1e-9,
        "the range converts too: {x1}"
    );
    assert_eq!(
        (x1["flag"].as_str(), x1["comparable"].as_bool()),
        (Some("high"), Some(true))
    );
    let x2 = &points[5];
    assert_eq!(
        (x2["unit"].as_str(), x2["comparable"].as_bool()),
        (Some("mmol/L"), Some(false)),
        "{x2}"
    );
    assert_eq!(x2["flag"], "normal", "the lab's interpretation");
    assert_eq!(points[0]["flag"], "normal", "95 within 70-100");
    assert_eq!(points[1]["flag"], "high", "130 above 100");
    assert_ne!(points[0]["source_id"], x1["source_id"]);
    // A date window keeps the points dated inside it, digits and all.
    let (status, window) = host
        .get(&host.at("/labs/series?code=http://loinc.org|2345-7&from=2023-05-01&to=2023-06-01"))
        .await;
    assert_eq!(status, 200, "{window}");
    let ids: Vec<&str> = window["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["x1"], "from is inclusive, to exclusive");
    assert_eq!(window["points"][0]["original_value"].to_string(), "1.2");
    let (status, bad) = host
        .get(&host.at("/labs/series?code=2345-7&from=last-tuesday"))
        .await;
    assert_eq!(status, 400, "{bad}");
    // The bare code finds the same series; unknown codes are 404; a missing code is 400.
    let (_, bare) = host.get(&host.at("/labs/series?code=2345-7")).await;
    assert_eq!(bare["points"].as_array().map(Vec::len), Some(6));
    assert_eq!(
        host.get(&host.at("/labs/series?code=http://loinc.org|0000-0"))
            .await
            .0,
        404
    );
    assert_eq!(host.get(&host.at("/labs/series")).await.0, 400);
    assert_eq!(
        host.get(&host.at("/labs/series?code=http://loinc.org|"))
            .await
            .0,
        400
    );
}

/// Every Observation id of a search, following `next` to the end, with each page's `total`.
async fn follow(host: &Host, query: &str) -> (Vec<String>, Vec<u64>) {
    let mut url = format!("{}/fhir/Observation?{query}", host.at(""));
    let (mut seen, mut totals) = (Vec::new(), Vec::new());
    loop {
        let (_, bundle) = host.get(&url).await;
        totals.push(bundle["total"].as_u64().unwrap_or(u64::MAX));
        seen.extend(
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["resource"]["id"].as_str().unwrap().to_string()),
        );
        let Some(next) = bundle["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
        else {
            return (seen, totals);
        };
        let next = next["url"].as_str().unwrap();
        url = next[next.find("/api/").unwrap()..].to_string();
    }
}
