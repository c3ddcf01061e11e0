//! Writes CDC's supporting data (in `data/`) as a Rust constant, so the
//! plugin carries the schedule ready to use: nothing is parsed per call.

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    println!("cargo::rerun-if-changed={}", dir.display());
    let schedule = match hearth_cdsi::data::Schedule::from_dir(&dir) {
        Ok(s) => s,
        Err(e) => panic!(
            "the supporting data in {} does not read: {e}",
            dir.display()
        ),
    };
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let code = hearth_cdsi::data::codegen::schedule(&schedule);
    if let Err(e) = std::fs::write(out.join("schedule.rs"), code) {
        panic!("writing the schedule: {e}");
    }
}
