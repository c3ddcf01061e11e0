//! The schedule built into the plugin is CDC's supporting data as read from
//! `data/`, value for value.

use hearth_cdsi::data::Schedule;
use hearth_rules_immunizations::SCHEDULE;

#[test]
fn the_built_in_schedule_is_the_supporting_data() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let read = Schedule::from_dir(&dir).expect("data reads");
    assert_eq!(SCHEDULE.antigens.len(), 30);
    assert!(SCHEDULE == read, "the constant differs from the JSON");
}
