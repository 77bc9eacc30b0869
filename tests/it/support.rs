//! The test harness: a real server on port 0 over a fresh database, and
//! clients that sign in the way people do.

use cowork_server::{App, Config, Running};
use cowork_store::Store;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut b = [0u8; 4];
    getrandom(&mut b);
    format!("{prefix}{}_{n}_{}", std::process::id(), b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

fn getrandom(b: &mut [u8]) {
    // Good enough for unique names in tests: time and a counter.
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    for (i, x) in b.iter_mut().enumerate() {
        *x = (t >> (i * 8)) as u8 ^ COUNTER.load(Ordering::Relaxed) as u8;
    }
}

/// The PostgreSQL server the tests use; the test script makes sure one runs.
pub fn postgres_admin_url() -> String {
    std::env::var("COWORK_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database URL of the given backend, fresh and empty.
pub async fn fresh_database(backend: &str) -> String {
    match backend {
        "sqlite" => {
            let dir = std::env::temp_dir().join(unique("cowork-test-"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("cowork.db").display())
        }
        "postgres" => {
            let admin = postgres_admin_url();
            let name = unique("cowork_t_");
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is needed for these tests ({admin}): {e}. Run ./scripts/test, which starts it."));
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            format!("{base}/{name}")
        }
        other => panic!("unknown backend {other}"),
    }
}

pub async fn fresh_store(backend: &str) -> Store {
    Store::open(&fresh_database(backend).await).await.expect("store opens and migrates")
}

pub struct Server {
    pub running: Running,
    pub base: String,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_on("sqlite").await
    }

    pub async fn start_on(backend: &str) -> Server {
        Server::start_with_backend(backend, |_| {}).await
    }

    /// A server on SQLite with some settings changed.
    pub async fn start_with(change: impl FnOnce(&mut Config)) -> Server {
        Server::start_with_backend("sqlite", change).await
    }

    /// A server on `backend` with some settings changed.
    pub async fn start_on_with(backend: &str, change: impl FnOnce(&mut Config)) -> Server {
        Server::start_with_backend(backend, change).await
    }

    pub async fn start_with_backend(backend: &str, change: impl FnOnce(&mut Config)) -> Server {
        let mut config = Config { bind: "127.0.0.1:0".parse().unwrap(), database_url: fresh_database(backend).await, ..Config::default() };
        change(&mut config);
        let running = cowork_server::start(config).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        Server { running, base }
    }

    pub fn app(&self) -> &App {
        &self.running.app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (so tests see them).
    pub fn client(&self) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            http: Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().unwrap(),
            base: self.base.clone(),
            jar,
        }
    }

    /// A client signed in as `email` through a real magic link, as people do.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.client();
        let e = cowork_core::input::Email::parse(email).unwrap();
        let link = self.app().issue_sign_in_link(&e).await.unwrap();
        b.follow_sign_in_link(&link).await;
        b
    }

    /// The newest sign-in link mailed to `email`, as an admin reads it in the outbox page.
    pub async fn link_from_outbox(&self, admin: &Browser, email: &str) -> String {
        // Mail goes out from the job queue, not from the request.
        self.deliver_jobs().await;
        let html = admin.get_ok("/admin/outbox").await;
        let start =
            html.find(&format!("<strong class=\"to\">{email}</strong>")).unwrap_or_else(|| panic!("no mail to {email} in the outbox"));
        let rest = &html[start..];
        let at = rest.find("/signin/link?token=").expect("mail holds a sign-in link");
        let from = rest[..at].rfind("http").unwrap();
        let end = at + rest[at..].find(|c: char| c.is_whitespace() || c == '<').unwrap();
        rest[from..end].to_string()
    }

    /// An instance admin with a signed-in client.
    pub async fn admin(&self) -> Browser {
        self.app().make_admin("admin@example.org", Some("Admin")).await.unwrap();
        self.signed_in("admin@example.org").await
    }

    /// A community made directly through the service layer, owned by `owner`.
    pub async fn community(&self, owner_email: &str, slug: &str, visibility: &str, join_policy: &str) -> cowork_store::Community {
        let owner = self.account(owner_email).await;
        let input = cowork_core::community::CommunityInput {
            slug: slug.into(),
            name: format!("Community {slug}"),
            description: "We cowork on Wednesdays.".into(),
            topics: "testing".into(),
            code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
            visibility: visibility.into(),
            join_policy: join_policy.into(),
            time_zone: "Europe/London".into(),
            ..Default::default()
        };
        // Straight to the store: fixtures are not subject to the creation rate limit.
        self.app().store.create_community(&input.parse().unwrap(), &owner.id, 1).await.unwrap()
    }

    pub async fn account(&self, email: &str) -> cowork_store::Account {
        self.app().store.account_for_email(email, email.split('@').next().unwrap(), 1).await.unwrap().0
    }

    /// A session of `format` starting `starts_in` seconds from now, in a new
    /// open community owned by `owner_email` (its room opens 15 minutes before).
    pub async fn live_session(&self, owner_email: &str, slug: &str, format: &str, starts_in: i64) -> cowork_store::Session {
        self.community(owner_email, slug, "public", "open").await;
        let owner = self.account(owner_email).await;
        let tomorrow = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date().tomorrow().unwrap().to_string();
        let input = cowork_core::schedule::SeriesInput {
            title: "Weekly Coworking".into(),
            format: format.into(),
            start_date: tomorrow,
            start_time: "09:00".into(),
            time_zone: "Europe/London".into(),
            video_url: "https://meet.example.org/weekly".into(),
            ..Default::default()
        };
        let series = self.app().create_series(&owner, slug, &input).await.unwrap();
        let session = self.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
        let starts_at = cowork_server::app::now() + starts_in;
        let minutes: i64 = session.content.phases.iter().map(|p| i64::from(p.minutes)).sum();
        self.app().store.update_session(&session.id, &session.content, starts_at, starts_at + minutes * 60, 1).await.unwrap();
        self.app().store.session(&session.id).await.unwrap()
    }

    /// A member of the community of `session`, signed in through a magic link.
    pub async fn member_of(&self, session: &cowork_store::Session, email: &str) -> Browser {
        let a = self.account(email).await;
        self.app().store.add_member(&session.community_id, &a.id, false, 1).await.unwrap();
        self.signed_in(email).await
    }

    /// Gives an account a display name and a time zone, as its profile page would.
    pub async fn name_and_zone(&self, account: &cowork_store::Account, name: &str, zone: &str) {
        let profile = cowork_store::Profile {
            display_name: name.into(),
            pronouns: String::new(),
            time_zone: zone.into(),
            bio: String::new(),
            social_preference: "either".into(),
        };
        self.app().store.update_profile(&account.id, &profile).await.unwrap();
    }

    /// Runs the job runner until nothing is due, and waits for jobs the
    /// server's own background runner took meanwhile (bounded). Jobs due
    /// later (by the app's clock) stay queued.
    pub async fn deliver_jobs(&self) {
        for _ in 0..500 {
            self.app().run_due_jobs().await;
            if self.app().store.jobs_due_or_running(self.app().now()).await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("jobs still unfinished after 5 s");
    }

    /// A personal API token for `email`.
    pub async fn token(&self, email: &str) -> String {
        let a = self.account(email).await;
        self.app().create_api_token(&a, "tests").await.unwrap().1
    }
}

pub struct Browser {
    pub http: Client,
    pub base: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).sent().await
    }

    pub async fn get_ok(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.text().await.unwrap()
    }

    /// Submits a form the way a browser does, with this browser's CSRF value.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.form_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.http.post(self.url(path)).form(&all).sent().await
    }

    /// The value the forms of this browser's pages carry: its CSRF cookie.
    async fn form_token(&self) -> String {
        let url: reqwest::Url = self.base.parse().unwrap();
        if let Some(t) = self.csrf_cookie(&url) {
            return t;
        }
        let html = self.get("/signin").await.text().await.unwrap();
        csrf_in(&html).expect("the sign-in form carries a CSRF value")
    }

    fn csrf_cookie(&self, url: &reqwest::Url) -> Option<String> {
        self.cookie_at(url, "cowork_csrf")
    }

    /// The value of one of this browser's cookies for the site.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookie_at(&self.base.parse().unwrap(), name)
    }

    fn cookie_at(&self, url: &reqwest::Url, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(url)?;
        let prefix = format!("{name}=");
        header.to_str().ok()?.split("; ").find_map(|kv| kv.strip_prefix(prefix.as_str())).map(String::from)
    }

    pub async fn follow_sign_in_link(&self, link: &str) {
        let page = self.get(link).await;
        assert_eq!(page.status(), StatusCode::OK, "the sign-in link opens a confirmation page");
        let html = page.text().await.unwrap();
        let token = link.split("token=").nth(1).unwrap();
        assert!(html.contains(token), "the confirmation page carries the token");
        let r = self.post("/signin/link", &[("token", token)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "confirming signs in");
        assert!(r.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("cowork_session=")));
    }
}

/// The CSRF value in a page's forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..at + 32].to_string())
}

pub fn location(r: &Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// Sends a request; an answer from `/api/v1` is first checked against the
/// schema `openapi.json` documents for it (the test fails on a mismatch).
pub trait SendChecked {
    fn sent(self) -> impl std::future::Future<Output = Response>;
}

impl SendChecked for reqwest::RequestBuilder {
    async fn sent(self) -> Response {
        let (client, request) = self.build_split();
        let request = request.unwrap();
        let method = request.method().as_str().to_string();
        let url = request.url().clone();
        let r = client.execute(request).await.unwrap();
        let Some(api_path) = url.path().strip_prefix("/api/v1") else { return r };
        let (status, version, headers) = (r.status(), r.version(), r.headers().clone());
        let body = r.bytes().await.unwrap();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let encoding = headers.get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("");
        if let Err(problem) = crate::openapi::check(&method, api_path, status.as_u16(), content_type, encoding, &body) {
            panic!("{problem}");
        }
        let mut rebuilt = http::Response::builder().status(status).version(version);
        for (k, v) in &headers {
            rebuilt = rebuilt.header(k, v);
        }
        Response::from(rebuilt.body(body).unwrap())
    }
}
