//! CDC's supporting data, typed: durations and dates parsed, flags and
//! enumerations normalised, CVX lists split. Read from CDC's JSON with
//! [`Schedule::from_json`]; every text and list is a `Cow`, so the same types
//! can also be written as constants (a plugin then needs no parsing at start).

pub mod codegen;
mod load;

use crate::date::{Date, Duration};
use std::borrow::Cow;

pub use load::LoadError;

/// A text of the supporting data.
pub type Text = Cow<'static, str>;
/// A list of the supporting data.
pub type List<T> = Cow<'static, [T]>;

/// The whole schedule: every antigen and the schedule-wide tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The antigens, each with its series, immunity and contraindications.
    pub antigens: List<Antigen>,
    /// Live virus conflicts (a dose given too soon after another live vaccine).
    pub live_virus_conflicts: List<LiveVirusConflict>,
    /// Vaccine groups and their antigens.
    pub vaccine_groups: List<VaccineGroup>,
    /// Which antigens each CVX code carries.
    pub cvx_map: List<CvxAntigens>,
    /// The coded observations (conditions, contraindications, immunity evidence).
    pub observations: List<ObservationDef>,
}

/// One antigen (`targetDisease`): its series, immunity evidence and contraindications.
#[derive(Debug, Clone, PartialEq)]
pub struct Antigen {
    /// The antigen's name ("Measles").
    pub name: Text,
    /// Its antigen series.
    pub series: List<Series>,
    /// Evidence of immunity, if the antigen has any.
    pub immunity: Option<Immunity>,
    /// Observations that contraindicate the antigen as a whole.
    pub contraindications: List<AntigenContraindication>,
    /// Observations that contraindicate particular vaccines.
    pub vaccine_contraindications: List<VaccineContraindication>,
}

/// Evidence of immunity to an antigen (section 7.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Immunity {
    /// Observations that are evidence of immunity.
    pub clinical_history: List<Coded>,
    /// Birth before a date as evidence, if the antigen has that rule.
    pub birth_date: Option<BirthDateImmunity>,
}

/// Immunity by birth before a date.
#[derive(Debug, Clone, PartialEq)]
pub struct BirthDateImmunity {
    /// Born before this date.
    pub before: Date,
    /// The country of birth it applies to, if it names one.
    pub birth_country: Option<Text>,
    /// Observations that exclude it.
    pub exclusions: List<Coded>,
}

/// An observation code and its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Coded {
    /// The CDSi observation code ("080").
    pub code: Text,
    /// Its title.
    pub title: Text,
}

/// An observation that contraindicates an antigen.
#[derive(Debug, Clone, PartialEq)]
pub struct AntigenContraindication {
    /// The observation.
    pub observation: Coded,
    /// What it says.
    pub text: Text,
    /// Guidance for the clinician.
    pub guidance: Option<Text>,
    /// The age it starts at.
    pub begin_age: Option<Duration>,
    /// The age it ends at.
    pub end_age: Option<Duration>,
}

/// An observation that contraindicates some vaccines.
#[derive(Debug, Clone, PartialEq)]
pub struct VaccineContraindication {
    /// The observation.
    pub observation: Coded,
    /// What it says.
    pub text: Text,
    /// Guidance for the clinician.
    pub guidance: Option<Text>,
    /// The vaccines it contraindicates, each at ages.
    pub vaccines: List<VaccineAtAges>,
}

/// A vaccine type within an age window.
#[derive(Debug, Clone, PartialEq)]
pub struct VaccineAtAges {
    /// CVX code.
    pub cvx: Text,
    /// Its name.
    pub vaccine_type: Text,
    /// From this age.
    pub begin_age: Option<Duration>,
    /// Before this age.
    pub end_age: Option<Duration>,
}

/// The kind of an antigen series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesType {
    /// For everyone, by age.
    Standard,
    /// For people with an indication.
    Risk,
    /// Never recommended, but can show a series complete.
    EvaluationOnly,
}

/// A patient's gender as the specification names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Not known.
    Unknown,
}

/// One antigen series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name.
    pub name: Text,
    /// The antigen.
    pub target_disease: Text,
    /// The vaccine group it belongs to.
    pub vaccine_group: Text,
    /// Standard, risk or evaluation only.
    pub series_type: SeriesType,
    /// Series groups this one is equivalent to.
    pub equivalent_series_groups: List<Text>,
    /// Genders it is for (empty: any).
    pub required_genders: List<Gender>,
    /// How it is chosen among others (chapter 8).
    pub select: SelectSeries,
    /// Indications that make a risk series relevant.
    pub indications: List<Indication>,
    /// Guidance on giving it.
    pub admin_guidance: List<Text>,
    /// Its doses.
    pub doses: List<SeriesDose>,
}

/// What chapter 8 reads to choose a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectSeries {
    /// The series to use when none is started.
    pub default_series: bool,
    /// A series for one product.
    pub product_path: bool,
    /// The series group's name.
    pub group_name: Text,
    /// The series group.
    pub group: Text,
    /// Priority (A, B, C).
    pub priority: Text,
    /// Preference within the group (1 first).
    pub preference: Option<u32>,
    /// Oldest age to start it.
    pub max_age_to_start: Option<Duration>,
    /// Youngest age to start it.
    pub min_age_to_start: Option<Duration>,
}

/// An indication of a risk series.
#[derive(Debug, Clone, PartialEq)]
pub struct Indication {
    /// The observation it rests on.
    pub observation: Coded,
    /// What it describes.
    pub description: Text,
    /// From this age.
    pub begin_age: Option<Duration>,
    /// Before this age.
    pub end_age: Option<Duration>,
    /// Guidance for the clinician.
    pub guidance: Option<Text>,
}

/// Effective and cessation dates of a piece of supporting data (section 3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    /// In use from.
    pub effective: Option<Date>,
    /// In use until.
    pub cessation: Option<Date>,
}

/// One dose of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDose {
    /// Its number in the series.
    pub number: u32,
    /// Whether it repeats once satisfied.
    pub recurring: bool,
    /// Ages (one per validity period).
    pub ages: List<AgeRule>,
    /// Preferable intervals.
    pub intervals: List<Interval>,
    /// The allowable interval.
    pub allowable_interval: Option<Interval>,
    /// Preferable vaccines.
    pub preferable: List<PreferableVaccine>,
    /// Allowable vaccines.
    pub allowable: List<VaccineAtAges>,
    /// Vaccines that given for this dose are an error.
    pub inadvertent: List<VaccineAtAges>,
    /// When the dose need not be given.
    pub conditional_skips: List<ConditionalSkip>,
    /// The season it is given in.
    pub seasonal: Option<Seasonal>,
}

/// The ages of a dose.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeRule {
    /// Absolute minimum age (grace period included).
    pub abs_min: Option<Duration>,
    /// Minimum age.
    pub min: Option<Duration>,
    /// Earliest recommended age.
    pub earliest_recommended: Option<Duration>,
    /// Latest recommended age.
    pub latest_recommended: Option<Duration>,
    /// Maximum age.
    pub max: Option<Duration>,
    /// When it applies.
    pub validity: Validity,
}

/// What an interval is measured from.
#[derive(Debug, Clone, PartialEq)]
pub enum IntervalFrom {
    /// The immediately previous dose.
    Previous,
    /// The dose that satisfied target dose N.
    TargetDose(u32),
    /// The most recent dose of these CVX codes.
    MostRecent(List<Text>),
    /// The most recent active observation with this code.
    Observation(Coded),
}

/// An interval between doses.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// What it is measured from.
    pub from: IntervalFrom,
    /// Absolute minimum interval (grace period included).
    pub abs_min: Option<Duration>,
    /// Minimum interval.
    pub min: Option<Duration>,
    /// Earliest recommended interval.
    pub earliest_recommended: Option<Duration>,
    /// Latest recommended interval.
    pub latest_recommended: Option<Duration>,
    /// Whether it overrides the age in forecasts (`intervalPriority` "override").
    pub priority_override: bool,
    /// When it applies.
    pub validity: Validity,
}

/// A preferable vaccine of a dose.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferableVaccine {
    /// The vaccine and its ages.
    pub vaccine: VaccineAtAges,
    /// Whether forecasts name it.
    pub forecast: bool,
    /// Volume in mL, as written.
    pub volume: Option<Text>,
    /// Trade name, when only one product is preferable.
    pub trade_name: Option<Text>,
    /// Manufacturer (MVX), with the trade name.
    pub mvx: Option<Text>,
}

/// Where a skip is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipContext {
    /// When evaluating doses.
    Evaluation,
    /// When forecasting.
    Forecast,
    /// In both.
    Both,
}

/// How a skip's sets, or a set's conditions, combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    /// All must hold.
    And,
    /// One is enough.
    Or,
}

/// A conditional skip of a dose.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionalSkip {
    /// Where it is judged.
    pub context: SkipContext,
    /// How its sets combine (one set: `Or`).
    pub set_logic: Logic,
    /// Its sets.
    pub sets: List<SkipSet>,
}

/// A set of skip conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct SkipSet {
    /// Its id.
    pub id: Text,
    /// What it says.
    pub description: Text,
    /// How its conditions combine (one condition: `And`).
    pub logic: Logic,
    /// When it applies.
    pub validity: Validity,
    /// Its conditions.
    pub conditions: List<Condition>,
}

/// The kind of a skip condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKind {
    /// The patient's age.
    Age,
    /// Time since the previous dose.
    Interval,
    /// Another series group completed.
    CompletedSeries,
    /// Doses given within ages.
    VaccineCountByAge,
    /// Doses given within dates.
    VaccineCountByDate,
    /// Doses given within ages and dates.
    VaccineCountByDateAndAge,
}

/// Which doses a count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseType {
    /// Valid doses only.
    Valid,
    /// Every dose.
    Total,
}

/// How a count compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountLogic {
    /// More than the count.
    GreaterThan,
    /// Exactly the count.
    EqualTo,
    /// Fewer than the count.
    LessThan,
}

/// One skip condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Its id.
    pub id: Text,
    /// Its kind.
    pub kind: ConditionKind,
    /// From this age.
    pub begin_age: Option<Duration>,
    /// Before this age.
    pub end_age: Option<Duration>,
    /// Interval since the previous dose.
    pub interval: Option<Duration>,
    /// From this date.
    pub start_date: Option<Date>,
    /// Before this date.
    pub end_date: Option<Date>,
    /// The count compared.
    pub dose_count: Option<u32>,
    /// Which doses are counted.
    pub dose_type: Option<DoseType>,
    /// How the count compares.
    pub count_logic: Option<CountLogic>,
    /// CVX codes counted (empty: any of the antigen's).
    pub vaccine_types: List<Text>,
    /// Series groups that must be complete.
    pub series_groups: List<Text>,
}

/// The season a dose is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seasonal {
    /// Season start.
    pub start: Date,
    /// Season end.
    pub end: Option<Date>,
}

/// A live virus conflict: `current` given within the window after `previous`.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveVirusConflict {
    /// CVX of the earlier dose.
    pub previous_cvx: Text,
    /// CVX of the dose it conflicts with.
    pub current_cvx: Text,
    /// Window start after the earlier dose.
    pub begin: Duration,
    /// Window end when the earlier dose is valid.
    pub min_end: Duration,
    /// Window end otherwise.
    pub end: Duration,
}

/// A vaccine group and its antigens.
#[derive(Debug, Clone, PartialEq)]
pub struct VaccineGroup {
    /// Its name ("MMR").
    pub name: Text,
    /// Whether every antigen is given together.
    pub administer_full_group: bool,
    /// Its antigens.
    pub antigens: List<Text>,
}

/// The antigens a CVX code carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CvxAntigens {
    /// CVX code.
    pub cvx: Text,
    /// Its short description.
    pub description: Text,
    /// Its antigens, each at ages.
    pub antigens: List<Association>,
}

/// An antigen a CVX code carries, within ages.
#[derive(Debug, Clone, PartialEq)]
pub struct Association {
    /// The antigen.
    pub antigen: Text,
    /// From this age.
    pub begin_age: Option<Duration>,
    /// Before this age.
    pub end_age: Option<Duration>,
}

/// A coded observation and the codes other systems give it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationDef {
    /// The observation.
    pub observation: Coded,
    /// Its indication text.
    pub indication_text: Option<Text>,
    /// Its contraindication text.
    pub contraindication_text: Option<Text>,
    /// Text that clarifies it.
    pub clarifying_text: Option<Text>,
    /// The same meaning in SNOMED, CDC PHIN VS or CVX.
    pub coded_values: List<CodedValue>,
}

/// A code of another system.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedValue {
    /// The code.
    pub code: Text,
    /// Its system as the data names it (`SNOMED`, `CDCPHINVS`, `CVX`).
    pub system: Text,
    /// Its text.
    pub text: Text,
}

impl Schedule {
    /// The antigen named `name`.
    pub fn antigen(&self, name: &str) -> Option<&Antigen> {
        self.antigens.iter().find(|a| a.name == name)
    }

    /// The antigens `cvx` carries.
    pub fn cvx(&self, cvx: &str) -> Option<&CvxAntigens> {
        self.cvx_map.iter().find(|c| c.cvx == cvx)
    }
}
