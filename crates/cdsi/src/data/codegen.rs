//! The schedule written as Rust: a constant expression that builds the same
//! [`Schedule`] with borrowed texts and lists, so a plugin embeds the data
//! ready to use rather than parsing JSON on every call. A build script calls
//! [`schedule`]; the plugin's test checks the constant equals the JSON read.

use super::*;
use std::fmt::Write;

/// Rust source of an expression of type `hearth_cdsi::data::Schedule`.
pub fn schedule(s: &Schedule) -> String {
    let mut out = String::new();
    s.emit(&mut out);
    out
}

const DATA: &str = "::hearth_cdsi::data::";

/// A value that can be written as a constant expression.
trait Emit {
    fn emit(&self, out: &mut String);
}

impl Emit for Text {
    fn emit(&self, out: &mut String) {
        // Debug escapes a str as a valid Rust string literal.
        let _ = write!(out, "::std::borrow::Cow::Borrowed({:?})", &**self);
    }
}

impl<T: Emit + Clone> Emit for List<T> {
    fn emit(&self, out: &mut String) {
        out.push_str("::std::borrow::Cow::Borrowed(&[");
        for item in self.iter() {
            item.emit(out);
            out.push(',');
        }
        out.push_str("])");
    }
}

impl<T: Emit> Emit for Option<T> {
    fn emit(&self, out: &mut String) {
        match self {
            None => out.push_str("None"),
            Some(v) => {
                out.push_str("Some(");
                v.emit(out);
                out.push(')');
            }
        }
    }
}

impl Emit for bool {
    fn emit(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Emit for u32 {
    fn emit(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Emit for Date {
    fn emit(&self, out: &mut String) {
        let _ = write!(out, "::hearth_cdsi::date::Date::from_days({})", self.days());
    }
}

impl Emit for Duration {
    fn emit(&self, out: &mut String) {
        let _ = write!(
            out,
            "::hearth_cdsi::date::Duration {{ years: {}, months: {}, days: {} }}",
            self.years, self.months, self.days
        );
    }
}

/// Enums without data: their variant by name.
macro_rules! emit_unit_enum {
    ($($t:ident),*) => {$(
        impl Emit for $t {
            fn emit(&self, out: &mut String) {
                let _ = write!(out, "{DATA}{}::{:?}", stringify!($t), self);
            }
        }
    )*};
}
emit_unit_enum!(
    SeriesType,
    Gender,
    SkipContext,
    Logic,
    ConditionKind,
    DoseType,
    CountLogic
);

/// Structs: every field, by name.
macro_rules! emit_struct {
    ($($t:ident { $($f:ident),* })*) => {$(
        impl Emit for $t {
            fn emit(&self, out: &mut String) {
                let _ = write!(out, "{DATA}{} {{", stringify!($t));
                $(
                    out.push_str(concat!(stringify!($f), ": "));
                    self.$f.emit(out);
                    out.push(',');
                )*
                out.push('}');
            }
        }
    )*};
}
emit_struct! {
    Schedule { antigens, live_virus_conflicts, vaccine_groups, cvx_map, observations }
    Antigen { name, series, immunity, contraindications, vaccine_contraindications }
    Immunity { clinical_history, birth_date }
    BirthDateImmunity { before, birth_country, exclusions }
    Coded { code, title }
    AntigenContraindication { observation, text, guidance, begin_age, end_age }
    VaccineContraindication { observation, text, guidance, vaccines }
    VaccineAtAges { cvx, vaccine_type, begin_age, end_age }
    Series { name, target_disease, vaccine_group, series_type, equivalent_series_groups,
             required_genders, select, indications, admin_guidance, doses }
    SelectSeries { default_series, product_path, group_name, group, priority, preference,
                   max_age_to_start, min_age_to_start }
    Indication { observation, description, begin_age, end_age, guidance }
    Validity { effective, cessation }
    SeriesDose { number, recurring, ages, intervals, allowable_interval, preferable, allowable,
                 inadvertent, conditional_skips, seasonal }
    AgeRule { abs_min, min, earliest_recommended, latest_recommended, max, validity }
    Interval { from, abs_min, min, earliest_recommended, latest_recommended, priority_override,
               validity }
    PreferableVaccine { vaccine, forecast, volume, trade_name, mvx }
    ConditionalSkip { context, set_logic, sets }
    SkipSet { id, description, logic, validity, conditions }
    Condition { id, kind, begin_age, end_age, interval, start_date, end_date, dose_count,
                dose_type, count_logic, vaccine_types, series_groups }
    Seasonal { start, end }
    LiveVirusConflict { previous_cvx, current_cvx, begin, min_end, end }
    VaccineGroup { name, administer_full_group, antigens }
    CvxAntigens { cvx, description, antigens }
    Association { antigen, begin_age, end_age }
    ObservationDef { observation, indication_text, contraindication_text, clarifying_text,
                     coded_values }
    CodedValue { code, system, text }
}

impl Emit for IntervalFrom {
    fn emit(&self, out: &mut String) {
        match self {
            IntervalFrom::Previous => {
                let _ = write!(out, "{DATA}IntervalFrom::Previous");
            }
            IntervalFrom::TargetDose(n) => {
                let _ = write!(out, "{DATA}IntervalFrom::TargetDose({n})");
            }
            IntervalFrom::MostRecent(cvx) => {
                let _ = write!(out, "{DATA}IntervalFrom::MostRecent(");
                cvx.emit(out);
                out.push(')');
            }
            IntervalFrom::Observation(obs) => {
                let _ = write!(out, "{DATA}IntervalFrom::Observation(");
                obs.emit(out);
                out.push(')');
            }
        }
    }
}
