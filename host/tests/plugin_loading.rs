//! Plugin discovery: good packages load (from the precompiled cache the second
//! time), bad ones are reported with their reason and do not stop the rest.

mod common;

use hearth_host::config::PluginLimits;
use hearth_host::plugins::Plugins;
use hearth_host::plugins::runtime::engine::CacheUse;
use std::fs;
use std::path::Path;

fn package(dir: &Path, name: &str, manifest: Option<&str>, wasm: Option<&[u8]>) {
    let p = dir.join(name);
    fs::create_dir_all(&p).unwrap();
    if let Some(m) = manifest {
        fs::write(p.join("plugin.toml"), m).unwrap();
    }
    if let Some(w) = wasm {
        fs::write(p.join("plugin.wasm"), w).unwrap();
    }
}

fn manifest(id: &str) -> String {
    format!(
        "id = \"{id}\"\nname = \"x\"\nversion = \"0.1.0\"\nkind = \"connector\"\n[permissions]\noutbound = \"source\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_packages_are_reported_and_good_ones_load() {
    let built = common::plugin_dir("plugins").join("fhir-r4");
    let wasm = fs::read(built.join("plugin.wasm")).unwrap();
    let good_manifest = fs::read_to_string(built.join("plugin.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    package(dir.path(), "a-good", Some(&good_manifest), Some(&wasm));
    package(
        dir.path(),
        "b-bad-manifest",
        Some("id = \"x\"\n"),
        Some(&wasm),
    );
    package(
        dir.path(),
        "c-not-a-component",
        Some(&manifest("garbage")),
        Some(b"\0asm\x01\0\0\0garbage"),
    );
    package(
        dir.path(),
        "d-mismatch",
        Some(&manifest("impostor")),
        Some(&wasm),
    );
    package(dir.path(), "e-no-wasm", Some(&manifest("empty")), None);
    // What a component targets is read from it; a manifest cannot claim otherwise.
    package(
        dir.path(),
        "f-older-world",
        Some(&good_manifest.replace("hearth:connector@0.2.0", "hearth:plugin@0.1.0")),
        Some(&wasm),
    );
    package(
        dir.path(),
        "g-other-kind",
        Some(
            "id = \"fhir-r4\"\nname = \"x\"\nversion = \"0.1.0\"\nkind = \"importer\"\n[permissions]\noutbound = \"none\"\n",
        ),
        Some(&wasm),
    );

    let plugins = Plugins::new(PluginLimits::default()).unwrap();
    plugins.load_dir(dir.path(), cache.path()).await;
    let loaded: Vec<String> = plugins.summaries().into_iter().map(|s| s.id).collect();
    assert_eq!(loaded, vec!["fhir-r4"]);
    assert_eq!(plugins.get("fhir-r4").unwrap().cache, CacheUse::Compiled);

    let failures = plugins.failures();
    assert_eq!(failures.len(), 6, "{failures:?}");
    let reason = |folder: &str| {
        failures
            .iter()
            .find(|f| f.path.ends_with(folder))
            .map(|f| f.reason.clone())
            .unwrap_or_else(|| panic!("no failure for {folder}: {failures:?}"))
    };
    assert!(
        reason("b-bad-manifest").contains("missing field `name`"),
        "{}",
        reason("b-bad-manifest")
    );
    assert!(
        reason("c-not-a-component").contains("not a loadable component"),
        "{}",
        reason("c-not-a-component")
    );
    assert!(
        reason("d-mismatch")
            .contains("the component says it is fhir-r4@0.1.0, the manifest says impostor@0.1.0"),
        "{}",
        reason("d-mismatch")
    );
    assert!(
        reason("e-no-wasm").contains("plugin.wasm"),
        "{}",
        reason("e-no-wasm")
    );
    assert_eq!(
        reason("f-older-world"),
        "the manifest says wit = \"hearth:plugin@0.1.0\", the component targets hearth:connector@0.2.0"
    );
    assert_eq!(
        reason("g-other-kind"),
        "the manifest's kind is importer, but the component is a connector (hearth:connector@0.2.0)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_are_precompiled_once_and_damaged_cache_is_rebuilt() {
    let source = common::plugin_dir("plugins");
    let cache = tempfile::tempdir().unwrap();

    let first = Plugins::new(PluginLimits::default()).unwrap();
    first.load_dir(&source, cache.path()).await;
    assert_eq!(first.get("fhir-r4").unwrap().cache, CacheUse::Compiled);
    let all: Vec<_> = fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        all.len(),
        11,
        "one per component (R4, DSTU3, the five dashboards, the forecaster, the screenings and the two chat adapters): {all:?}"
    );
    let r4_sha = first.get("fhir-r4").unwrap().sha256.clone();
    let cached: Vec<_> = all
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(&format!("{r4_sha}.cwasm"))
        })
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");

    let second = Plugins::new(PluginLimits::default()).unwrap();
    second.load_dir(&source, cache.path()).await;
    assert_eq!(second.get("fhir-r4").unwrap().cache, CacheUse::Hit);

    fs::write(&cached[0], b"damaged").unwrap();
    let third = Plugins::new(PluginLimits::default()).unwrap();
    third.load_dir(&source, cache.path()).await;
    assert_eq!(third.get("fhir-r4").unwrap().cache, CacheUse::Compiled);
    assert!(third.failures().is_empty());
    assert_ne!(
        fs::read(&cached[0]).unwrap(),
        b"damaged",
        "the cache file was rewritten"
    );
}
