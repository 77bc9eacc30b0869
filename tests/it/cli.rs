//! The `cowork` binary as an admin uses it: an empty directory, no flags.

use crate::support::unique;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn cowork(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cowork"));
    c.current_dir(dir).env_remove("COWORK_DATABASE_URL").env("COWORK_LOG", "info");
    c
}

fn empty_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(unique("cowork-cli-"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A bare HTTP/1.1 GET, so this test needs nothing but the binary.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_starts_in_an_empty_directory_and_creates_its_database() {
    let dir = empty_dir();
    // Port 0 instead of 8080 so tests never collide; everything else is default.
    let mut child = cowork(&dir).env("COWORK_BIND", "127.0.0.1:0").stderr(Stdio::null()).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("cowork is serving ") {
            url = line[at + 18..].split_whitespace().next().unwrap().to_string();
            break;
        }
    }
    assert!(url.starts_with("http://127.0.0.1:"), "the log names the address");
    let ok = http_get(url.trim_start_matches("http://"), "/healthz").contains(r#"{"status":"ok"}"#);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ok, "the server answers");
    assert!(dir.join("cowork.db").exists(), "./cowork.db was created");
}

#[test]
fn migrate_demo_and_admin_create() {
    let dir = empty_dir();
    let db = format!("sqlite://{}", dir.join("x.db").display());
    let out = cowork(&dir).args(["--database-url", &db, "migrate"]).output().unwrap();
    assert!(out.status.success());
    // Every migration file, however many there are by now.
    let migrations = std::fs::read_dir("crates/store/migrations")
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{migrations} migration(s) applied")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let again = cowork(&dir).args(["--database-url", &db, "migrate"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));

    let demo = cowork(&dir).args(["--database-url", &db, "demo"]).output().unwrap();
    assert!(String::from_utf8_lossy(&demo.stdout).contains("3 new communities"), "{demo:?}");
    let demo = cowork(&dir).args(["--database-url", &db, "demo"]).output().unwrap();
    assert!(String::from_utf8_lossy(&demo.stdout).contains("0 new communities"), "running it again changes nothing");
    // One demo session starts within minutes, so its live room is open to try.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let soon = rt.block_on(async {
        let store = cowork_store::Store::open(&db).await.unwrap();
        let c = store.community("open-science-cowork").await.unwrap();
        store.community_sessions(&c.id, now(), now() + 900, 10).await.unwrap()
    });
    assert!(soon.iter().any(|s| s.content.title.contains("try the live room")), "{soon:?}");

    let mut admin = cowork(&dir)
        .args([
            "--database-url",
            &db,
            "--base-url",
            "https://cowork.example.org",
            "admin",
            "create",
            "--email",
            "Root@Example.org",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    admin.stdin.take().unwrap().write_all(b"a good long password\n").unwrap();
    let out = admin.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("root@example.org is an instance admin") && text.contains("https://cowork.example.org/signin/link?token="),
        "{text}"
    );

    let bad = cowork(&dir).args(["--database-url", &db, "admin", "create", "--email", "not an address"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("e-mail"));
    let bad_url = cowork(&dir).args(["--database-url", "mysql://x", "migrate"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("sqlite://"));
}

#[test]
fn a_toml_file_configures_and_flags_win() {
    let dir = empty_dir();
    std::fs::write(
        dir.join("cowork.toml"),
        format!("database_url = \"sqlite://{}\"\nsite_name = \"Night Owls\"\n", dir.join("from-file.db").display()),
    )
    .unwrap();
    let out = cowork(&dir).args(["--config", "cowork.toml", "migrate"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.join("from-file.db").exists());
    let flag_db = format!("sqlite://{}", dir.join("from-flag.db").display());
    let out = cowork(&dir).args(["--config", "cowork.toml", "--database-url", &flag_db, "migrate"]).output().unwrap();
    assert!(out.status.success());
    assert!(dir.join("from-flag.db").exists(), "the flag wins over the file");
    std::fs::write(dir.join("bad.toml"), "no_such_key = 1\n").unwrap();
    let out = cowork(&dir).args(["--config", "bad.toml", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field"));
}

#[test]
fn import_ics_from_the_command_line_lands_whole_or_not_at_all() {
    let dir = empty_dir();
    let db = format!("sqlite://{}", dir.join("x.db").display());
    let demo = cowork(&dir).args(["--database-url", &db, "demo"]).output().unwrap();
    assert!(demo.status.success());
    let year = cowork_core::time::Zone::utc().local(now()).date.year() + 1;
    let good = format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Imported day\nDTSTART;TZID=Europe/Berlin:{year}0301T090000\nDURATION:PT8H\nEND:VEVENT\nEND:VCALENDAR\n");
    std::fs::write(dir.join("good.ics"), &good).unwrap();
    std::fs::write(dir.join("bad.ics"), good.replace("DURATION:PT8H", "DURATION:eight hours")).unwrap();
    let args = |f: &str| {
        vec![
            "--database-url".to_string(),
            db.clone(),
            "import-ics".into(),
            "--community".into(),
            "open-science-cowork".into(),
            "--as".into(),
            "ada@demo.cowork.test".into(),
            dir.join(f).display().to_string(),
        ]
    };
    let bad = cowork(&dir).args(args("bad.ics")).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Line 5: DURATION"), "{bad:?}");
    let ok = cowork(&dir).args(args("good.ics")).output().unwrap();
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Imported 1 sessions into open-science-cowork"), "{ok:?}");
    let member = cowork(&dir)
        .args([
            "--database-url",
            &db,
            "import-ics",
            "--community",
            "open-science-cowork",
            "--as",
            "eli@demo.cowork.test",
            &dir.join("good.ics").display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(!member.status.success(), "a plain member may not import");
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
