//! The browser UI is served at `/` with client-side routing, safe headers
//! and sensible caching; the API and the sandbox keep their own paths.

mod common;

use common::Host;
use hearth_host::config::PluginLimits;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_ui_is_served_with_client_side_routing() {
    let build = tempfile::tempdir().expect("dir");
    std::fs::write(
        build.path().join("index.html"),
        "<!doctype html><title>Hearth UI</title><script src=\"/assets/app-1a2b.js\"></script>",
    )
    .expect("index");
    std::fs::create_dir(build.path().join("assets")).expect("assets");
    std::fs::write(build.path().join("assets/app-1a2b.js"), "console.log(1)").expect("js");
    std::fs::write(build.path().join("robots.txt"), "User-agent: *").expect("robots");
    let dir = build.path().to_path_buf();
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.web_dir = Some(dir)
    })
    .await;
    let get = |path: &str| host.anon.get(format!("{}{path}", host.base)).send();

    for path in [
        "/",
        "/profiles/p1/timeline",
        "/profiles/p1/sources/s1?connected=1",
    ] {
        let r = get(path).await.expect("request");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .contains("default-src 'self'"),
            "{path}"
        );
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        assert!(
            r.text().await.expect("body").contains("Hearth UI"),
            "{path}"
        );
    }
    let js = get("/assets/app-1a2b.js").await.expect("js");
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .expect("type")
            .contains("javascript"),
        "{:?}",
        js.headers()
    );
    assert_eq!(
        js.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(js.headers()["x-content-type-options"], "nosniff");
    let robots = get("/robots.txt").await.expect("robots");
    assert_eq!(
        robots.headers()["cache-control"],
        "no-cache",
        "only hashed assets are immutable"
    );
    // A missing file is a 404, not the page; nothing outside the build is reachable.
    assert_eq!(
        get("/assets/gone-9.js").await.expect("missing").status(),
        404
    );
    assert_eq!(get("/../Cargo.toml").await.expect("escape").status(), 404);
    assert_eq!(
        get("/%2e%2e/Cargo.toml").await.expect("escape").status(),
        404
    );
    // The API keeps its JSON problems.
    let r = get("/api/nope").await.expect("api");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precompressed_files_go_to_browsers_that_accept_them() {
    let build = tempfile::tempdir().expect("dir");
    std::fs::write(build.path().join("index.html"), "<title>plain</title>").expect("index");
    std::fs::write(build.path().join("index.html.gz"), b"gzip of index").expect("index.gz");
    std::fs::create_dir(build.path().join("assets")).expect("assets");
    std::fs::write(build.path().join("assets/app.js"), "console.log(1)").expect("js");
    std::fs::write(build.path().join("assets/app.js.br"), b"brotli of app").expect("br");
    std::fs::write(build.path().join("assets/app.js.gz"), b"gzip of app").expect("gz");
    let dir = build.path().to_path_buf();
    let host = Host::start_with("plugins", PluginLimits::default(), |c| {
        c.web_dir = Some(dir)
    })
    .await;
    let get = |path: &str, accept: Option<&str>| {
        let mut r = host.anon.get(format!("{}{path}", host.base));
        if let Some(a) = accept {
            r = r.header("accept-encoding", a);
        }
        r.send()
    };
    let cases = [
        (
            "/assets/app.js",
            Some("br, gzip"),
            Some("br"),
            "brotli of app",
        ),
        ("/assets/app.js", Some("gzip"), Some("gzip"), "gzip of app"),
        ("/assets/app.js", None, None, "console.log(1)"),
        // Client-side routes get the compressed index too.
        (
            "/profiles/p1/timeline",
            Some("gzip"),
            Some("gzip"),
            "gzip of index",
        ),
        ("/profiles/p1/timeline", None, None, "<title>plain</title>"),
    ];
    for (path, accept, encoding, body) in cases {
        let r = get(path, accept).await.expect("request");
        assert_eq!(r.status(), 200, "{path} {accept:?}");
        assert_eq!(
            r.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            encoding,
            "{path} {accept:?}"
        );
        assert_eq!(r.text().await.expect("body"), body, "{path} {accept:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_build_the_root_says_how_to_make_one() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let r = host
        .anon
        .get(format!("{}/", host.base))
        .send()
        .await
        .expect("root");
    assert_eq!(r.status(), 503);
    let text = r.text().await.expect("body");
    assert!(text.contains("make run"), "{text}");
    let health = host
        .anon
        .get(format!("{}/api/health", host.base))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
}
