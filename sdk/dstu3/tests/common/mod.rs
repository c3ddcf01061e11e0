//! Reading the shared test data beside the project (`../shared/data`), when it is there.

use std::path::PathBuf;

/// The `*.json` files of `../shared/data/<rel>`, sorted; `None` (with a note) when the folder is absent.
pub fn shared_json_files(rel: &str) -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not found", dir.display());
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Some(files)
}
