//! The browser test: tests/browser/flow.mjs drives Debian's chromium with
//! playwright-core against this real server. ./scripts/test installs both;
//! with COWORK_REQUIRE_BROWSER=1 (set there and in CI) a missing browser fails.

use crate::support::Server;
use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_signs_up_creates_and_joins_in_chromium() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = dir.join("node_modules/playwright-core").exists() && Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(std::env::var("COWORK_REQUIRE_BROWSER").is_err(), "chromium or playwright-core is missing; run ./scripts/test");
        eprintln!("SKIPPED: chromium or tests/browser/node_modules missing (./scripts/test installs them)");
        return;
    }
    let server = Server::start().await;
    server.app().make_admin("admin@example.org", Some("Admin")).await.unwrap();
    let admin_link = server.app().issue_sign_in_link(&cowork_core::input::Email::parse("admin@example.org").unwrap()).await.unwrap();
    let base = server.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg("flow.mjs").current_dir(&dir).env("BASE_URL", base).env("ADMIN_LINK", admin_link).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "browser flow failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("pages checked with axe-core"));
}
