//! The server driven like a browser: sign-up through the outbox, communities,
//! joining, roles, and what bad input gets back.

use crate::support::{location, SendChecked, Server};
use reqwest::StatusCode;

#[tokio::test]
async fn a_newcomer_signs_up_through_the_link_in_the_outbox() {
    let server = Server::start().await;
    let admin = server.admin().await;
    let ada = server.client();

    // The home page tells a newcomer what this is.
    let home = ada.get_ok("/").await;
    assert!(home.contains("Cowork together") && home.contains("Sign in"));

    let r = ada.post("/signin", &[("email", "Ada.Lovelace@Example.org")]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin/sent"));
    let link = server.link_from_outbox(&admin, "ada.lovelace@example.org").await;
    assert!(link.starts_with(&server.base));

    // Opening the link asks for a click (mail scanners must not use it up) …
    let page = ada.get(&link).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Finish signing in"));
    // … and confirming signs in with a safe cookie, sending a new person to their profile.
    let token = link.split("token=").nth(1).unwrap();
    let r = ada.post("/signin/link", &[("token", token)]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/settings/profile?welcome=1"));
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("cowork_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    let profile = ada.get_ok("/settings/profile?welcome=1").await;
    assert!(profile.contains("Welcome to cowork") && profile.contains("value=\"Ada Lovelace\""), "name proposed from the address");
    assert!(profile.contains("data-propose-browser-zone=\"yes\""), "the browser's zone is proposed on first visit");

    // The link works once.
    let again = server.client().get(&link).await;
    assert_eq!(again.status(), StatusCode::GONE);
    let reuse = server.client().post("/signin/link", &[("token", token)]).await;
    assert_eq!(reuse.status(), StatusCode::GONE);

    // Profile: bad zone comes back beside the field, nothing saved; a good one is kept.
    let r = ada.post("/settings/profile", &[("display_name", "Ada"), ("time_zone", "Mars/Olympus"), ("social_preference", "quiet")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-time_zone\"") && html.contains("Mars/Olympus"), "error beside the field, input kept");
    assert_eq!(server.account("ada.lovelace@example.org").await.display_name, "Ada Lovelace");
    let r = ada
        .post(
            "/settings/profile",
            &[("display_name", "Ada"), ("pronouns", "she/her"), ("time_zone", "America/New_York"), ("social_preference", "quiet")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = server.account("ada.lovelace@example.org").await;
    assert_eq!((a.display_name.as_str(), a.time_zone.as_str(), a.social_preference.as_str()), ("Ada", "America/New_York", "quiet"));

    // Sign out ends the session on the server too.
    let r = ada.post("/signout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ada.get("/settings/profile").await), "/signin?next=/settings/profile");
}

#[tokio::test]
async fn sign_in_answers_the_same_for_known_and_unknown_addresses() {
    let server = Server::start().await;
    server.account("known@example.org").await;
    let c = server.client();
    let known = c.post("/signin", &[("email", "known@example.org")]).await;
    let unknown = c.post("/signin", &[("email", "nobody@example.org")]).await;
    assert_eq!((known.status(), location(&known)), (unknown.status(), location(&unknown)));
    // Passwords: the same message whether the address exists or not.
    let a = c.post("/signin/password", &[("email", "known@example.org"), ("password", "wrong password!")]).await;
    let b = c.post("/signin/password", &[("email", "nobody@example.org"), ("password", "wrong password!")]).await;
    assert_eq!(a.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (a, b) = (a.text().await.unwrap(), b.text().await.unwrap());
    assert!(a.contains("don&#x27;t match") || a.contains("don't match"), "{a}");
    assert_eq!(a.replace("known@", "X@"), b.replace("nobody@", "X@"));
    // Bad addresses are refused beside the field.
    let r = c.post("/signin", &[("email", "not-an-address")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-email\""));
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_address() {
    let server = Server::start().await;
    let c = server.client();
    for i in 0..5 {
        let r = c.post("/signin", &[("email", "target@example.org")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "request {i} is accepted");
    }
    let r = c.post("/signin", &[("email", "target@example.org")]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many sign-in attempts"));
    server.deliver_jobs().await;
    assert_eq!(server.app().store.outbox(Some("target@example.org"), 100).await.unwrap().len(), 5, "no mail past the limit");
    // Another address is not affected.
    assert_eq!(c.post("/signin", &[("email", "other@example.org")]).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn passwords_are_optional_and_work_when_set() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let r = ada.post("/settings/password", &[("password", "short"), ("confirm", "short")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = ada.post("/settings/password", &[("password", "a long passphrase"), ("confirm", "a different one")]).await;
    assert!(r.text().await.unwrap().contains("The two passwords differ"));
    let r = ada.post("/settings/password", &[("password", "a long passphrase"), ("confirm", "a long passphrase")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = server.client();
    let r =
        fresh.post("/signin/password", &[("email", "ADA@example.org"), ("password", "a long passphrase"), ("next", "/communities")]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/communities"));
    assert!(fresh.get_ok("/settings/profile").await.contains("ada@example.org"));
    // An open redirect is not possible through `next`.
    let r = server
        .client()
        .post("/signin/password", &[("email", "ada@example.org"), ("password", "a long passphrase"), ("next", "//evil.example")])
        .await;
    assert_eq!(location(&r), "/");
}

#[tokio::test]
async fn forms_without_the_csrf_value_are_refused_and_change_nothing() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let r = ada.http.post(server.url("/communities/new")).form(&[("slug", "sneaky"), ("name", "Sneaky one")]).sent().await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = ada
        .http
        .post(server.url("/communities/new"))
        .form(&[("csrf", "0123456789abcdef0123456789abcdef"), ("slug", "sneaky")])
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(server.app().store.community("sneaky").await.is_err());
}

#[tokio::test]
async fn creating_a_community_checks_every_field_and_writes_nothing_on_error() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let form = ada.get_ok("/communities/new").await;
    assert!(form.contains("Our code of conduct"), "a default code of conduct is offered");

    let long = "x".repeat(81);
    let r = ada
        .post(
            "/communities/new",
            &[
                ("slug", "Bad Slug!"),
                ("name", &long),
                ("time_zone", "Nowhere/City"),
                ("visibility", "public"),
                ("join_policy", "open"),
                ("code_of_conduct", "be nice"),
                ("link_chat", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for field in ["slug", "name", "time_zone", "code_of_conduct", "link_chat"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "{field} error shown beside the field");
    }
    assert!(html.contains("value=\"Bad Slug!\""), "what was typed is kept");
    assert!(server.app().store.directory("", "", 10, 0).await.unwrap().is_empty(), "nothing written");

    let coc = cowork_core::community::DEFAULT_CODE_OF_CONDUCT;
    let good = [
        ("slug", "turing-cowork"),
        ("name", "Turing <Coworking>"),
        ("description", "**Weekly** calls"),
        ("topics", "Open Science, docs"),
        ("time_zone", "Europe/London"),
        ("visibility", "public"),
        ("join_policy", "open"),
        ("code_of_conduct", coc),
    ];
    let r = ada.post("/communities/new", &good).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/c/turing-cowork?notice=created"));
    let page = ada.get_ok("/c/turing-cowork?notice=created").await;
    assert!(page.contains("Turing &lt;Coworking&gt;"), "names are escaped");
    assert!(page.contains("<strong>Weekly</strong>"), "descriptions are markdown");
    assert!(page.contains("You are owner"));

    let r = ada.post("/communities/new", &good).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("That address is taken"));

    // The public directory finds it by name and by topic.
    let anon = server.client();
    assert!(anon.get_ok("/communities?q=turing").await.contains("/c/turing-cowork"));
    assert!(anon.get_ok("/communities?topic=open%20science").await.contains("/c/turing-cowork"));
    assert!(!anon.get_ok("/communities?q=gardening").await.contains("/c/turing-cowork"));
}

#[tokio::test]
async fn a_second_person_joins_accepting_the_code_of_conduct_and_gets_a_role() {
    let server = Server::start().await;
    server.community("owner@example.org", "open-club", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    let bo = server.signed_in("bo@example.org").await;

    let join = bo.get_ok("/c/open-club/join").await;
    assert!(join.contains("Our code of conduct") && join.contains("accept_code_of_conduct"));
    let r = bo.post("/c/open-club/join", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("tick the box"));
    let c = server.app().store.community("open-club").await.unwrap();
    assert_eq!(c.member_count, 1, "not joined without accepting");

    let r = bo.post("/c/open-club/join", &[("accept_code_of_conduct", "yes")]).await;
    assert_eq!(location(&r), "/c/open-club?notice=joined");
    assert!(bo.get_ok("/").await.contains("Community open-club"), "listed among my communities");
    assert!(bo.get_ok("/c/open-club/members").await.contains("owner"));

    let bo_id = server.account("bo@example.org").await.id;
    let r = owner.post(&format!("/c/open-club/members/{bo_id}/role"), &[("role", "host")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let members = owner.get_ok("/c/open-club/members").await;
    assert!(members.contains("badge role-host"), "{members}");

    // The last owner cannot leave; a member can.
    let r = owner.post("/c/open-club/leave", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("always needs an owner"));
    assert_eq!(bo.post("/c/open-club/leave", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.app().store.community("open-club").await.unwrap().member_count, 1);
}

#[tokio::test]
async fn approval_and_invite_only_communities() {
    let server = Server::start().await;
    server.community("owner@example.org", "ask-first", "public", "approval").await;
    server.community("owner@example.org", "hidden-club", "private", "invite").await;
    let owner = server.signed_in("owner@example.org").await;
    let bo = server.signed_in("bo@example.org").await;
    let cy = server.signed_in("cy@example.org").await;

    // Approval: a request waits, the organizer approves it.
    let r = bo.post("/c/ask-first/join", &[("accept_code_of_conduct", "yes")]).await;
    assert_eq!(location(&r), "/c/ask-first?notice=requested");
    assert!(bo.get_ok("/c/ask-first").await.contains("Request pending"));
    let members = owner.get_ok("/c/ask-first/members").await;
    assert!(members.contains("Asking to join (1)"));
    let bo_id = server.account("bo@example.org").await.id;
    assert_eq!(owner.post(&format!("/c/ask-first/members/{bo_id}/approve"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert!(bo.get_ok("/c/ask-first").await.contains("You are member"));

    // Private: outsiders see nothing, not even that it exists.
    assert_eq!(bo.get("/c/hidden-club").await.status(), StatusCode::NOT_FOUND);
    assert!(!server.client().get_ok("/communities?q=hidden").await.contains("hidden-club"));

    // An invite link for one person lets them in, once.
    let r = owner.post("/c/hidden-club/invites", &[("label", "for Bo"), ("days", "7"), ("max_uses", "1")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let at = html.find("/invite/").unwrap();
    let code: String = html[at + 8..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    let r = bo.get(&format!("/invite/{code}")).await;
    assert_eq!(location(&r), format!("/c/hidden-club/join?invite={code}"));
    assert!(bo.get_ok(&location(&r)).await.contains("You have an invite"));
    let r = bo.post("/c/hidden-club/join", &[("accept_code_of_conduct", "yes"), ("invite", &code)]).await;
    assert_eq!(location(&r), "/c/hidden-club?notice=joined");
    assert_eq!(bo.get("/c/hidden-club").await.status(), StatusCode::OK);

    assert_eq!(cy.get(&format!("/invite/{code}")).await.status(), StatusCode::GONE, "used up");
    let r = cy.post("/c/hidden-club/join", &[("accept_code_of_conduct", "yes"), ("invite", &code)]).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(cy.get("/c/hidden-club").await.status(), StatusCode::NOT_FOUND);
    assert!(owner.get_ok("/c/hidden-club/invites").await.contains("1 of 1"));
}

#[tokio::test]
async fn unknown_pages_large_bodies_and_the_health_endpoints() {
    let server = Server::start().await;
    let c = server.client();
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Page not found</h1>") && html.contains("<main"), "a real page");
    assert_eq!(c.get("/c/no-such-community").await.status(), StatusCode::NOT_FOUND);

    let big = "x".repeat(300 * 1024);
    let r = c.post("/signin", &[("email", big.as_str())]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = c.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), r#"{"status":"ok"}"#);
    let m = c.get("/metrics").await.text().await.unwrap();
    assert!(m.contains("cowork_http_requests_total{method=\"GET\",status=\"404\"}"), "{m}");
    assert!(m.contains("cowork_http_request_duration_seconds_count"));

    let r = server.client().get("/").await;
    let csp = r.headers().get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'"));
    assert!(r.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("cowork_csrf=")));
}

#[tokio::test]
async fn the_outbox_is_for_instance_admins_only() {
    let server = Server::start().await;
    let bo = server.signed_in("bo@example.org").await;
    assert_eq!(bo.get("/admin/outbox").await.status(), StatusCode::FORBIDDEN);
    assert!(location(&server.client().get("/admin/outbox").await).starts_with("/signin"));
    let admin = server.admin().await;
    assert!(admin.get_ok("/admin/outbox").await.contains("Outbox"));
}

#[tokio::test]
async fn the_whole_flow_also_runs_on_postgres() {
    let server = Server::start_on("postgres").await;
    let admin = server.admin().await;
    let ada = server.client();
    assert_eq!(ada.post("/signin", &[("email", "ada@example.org")]).await.status(), StatusCode::SEE_OTHER);
    let link = server.link_from_outbox(&admin, "ada@example.org").await;
    ada.follow_sign_in_link(&link).await;
    let coc = cowork_core::community::DEFAULT_CODE_OF_CONDUCT;
    let r = ada
        .post(
            "/communities/new",
            &[
                ("slug", "pg-club"),
                ("name", "PG Club"),
                ("time_zone", "Australia/Sydney"),
                ("visibility", "public"),
                ("join_policy", "open"),
                ("code_of_conduct", coc),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let bo = server.signed_in("bo@example.org").await;
    assert_eq!(location(&bo.post("/c/pg-club/join", &[("accept_code_of_conduct", "yes")]).await), "/c/pg-club?notice=joined");
    assert!(server.client().get_ok("/communities").await.contains("2 members"));
}

#[tokio::test]
async fn an_invited_newcomer_signs_up_and_lands_on_the_join_page() {
    let server = Server::start().await;
    server.community("owner@example.org", "night-owls", "private", "invite").await;
    let owner = server.account("owner@example.org").await;
    let (_, code) = server.app().create_invite(&owner, "night-owls", &Default::default()).await.unwrap();
    let admin = server.admin().await;

    // Following the invite while signed out leads to sign-in, remembering the way back.
    let cy = server.client();
    let r = cy.get(&format!("/invite/{code}")).await;
    let join = location(&r);
    let r = cy.get(&join).await;
    let signin = location(&r);
    assert_eq!(signin, format!("/signin?next={}", join.replace('?', "%3F").replace('=', "%3D")));
    let next = join.clone();
    assert_eq!(cy.post("/signin", &[("email", "cy@example.org"), ("next", &next)]).await.status(), StatusCode::SEE_OTHER);
    let link = server.link_from_outbox(&admin, "cy@example.org").await;
    cy.get(&link).await;
    let r = cy.post("/signin/link", &[("token", link.split("token=").nth(1).unwrap())]).await;
    let profile = location(&r);
    assert!(profile.starts_with("/settings/profile?welcome=1&next="), "{profile}");
    let page = cy.get_ok(&profile).await;
    assert!(page.contains("Save and continue"));
    let r = cy.post("/settings/profile", &[("display_name", "Cy"), ("time_zone", "Asia/Tokyo"), ("next", &next)]).await;
    assert_eq!(location(&r), next, "after the profile, on to the invite");
    assert!(cy.get_ok(&next).await.contains("You have an invite"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let server = Server::start_with(|c| c.base_url = "https://cowork.example.org".into()).await;
    let app = server.app();
    let link = app.issue_sign_in_link(&cowork_core::input::Email::parse("ada@example.org").unwrap()).await.unwrap();
    assert!(link.starts_with("https://cowork.example.org/signin/link?token="), "links use the public URL");
    let local = link.replace("https://cowork.example.org", &server.base);
    let c = server.client();
    c.get(&local).await;
    let r = c.post("/signin/link", &[("token", local.split("token=").nth(1).unwrap())]).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("cowork_session="))
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_csrf_cookie_is_host_only_behind_https() {
    let server = Server::start_with(|c| c.base_url = "https://cowork.example.org".into()).await;
    let r = server.client().get("/").await;
    let csrf = r.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_string()).find(|c| c.contains("csrf")).unwrap();
    assert!(csrf.starts_with("__Host-cowork_csrf=") && csrf.contains("; Secure") && csrf.contains("Path=/"), "{csrf}");
}

#[tokio::test]
async fn a_removed_member_stays_out_until_allowed_back() {
    let server = Server::start().await;
    server.community("owner@example.org", "open-club", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    let bo = server.signed_in("bo@example.org").await;
    assert_eq!(location(&bo.post("/c/open-club/join", &[("accept_code_of_conduct", "yes")]).await), "/c/open-club?notice=joined");
    let bo_id = server.account("bo@example.org").await.id;
    assert_eq!(owner.post(&format!("/c/open-club/members/{bo_id}/remove"), &[]).await.status(), StatusCode::SEE_OTHER);

    let r = bo.post("/c/open-club/join", &[("accept_code_of_conduct", "yes")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("An organizer removed you"));
    let owner_account = server.account("owner@example.org").await;
    let (_, code) = server.app().create_invite(&owner_account, "open-club", &Default::default()).await.unwrap();
    let r = bo.post("/c/open-club/join", &[("accept_code_of_conduct", "yes"), ("invite", &code)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "not even with an invite");
    assert!(bo.get_ok("/").await.contains("You haven't joined a community yet"));

    let members = owner.get_ok("/c/open-club/members").await;
    assert!(members.contains("Removed or declined (1)"));
    assert!(members.contains("<title>Members of Community open-club · cowork</title>"));
    assert_eq!(owner.post(&format!("/c/open-club/members/{bo_id}/allow"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&bo.post("/c/open-club/join", &[("accept_code_of_conduct", "yes")]).await), "/c/open-club?notice=joined");
}

#[tokio::test]
async fn a_sign_in_link_names_its_account_and_replaces_the_session() {
    let server = Server::start().await;
    let mallory_link = server.app().issue_sign_in_link(&cowork_core::input::Email::parse("mallory@example.org").unwrap()).await.unwrap();
    let victim = server.signed_in("victim@example.org").await;
    let old_session = victim.cookie("cowork_session").unwrap();
    let page = victim.get_ok(&mallory_link).await;
    assert!(page.contains("as <strong>ma…@example.org</strong>"), "the page names the account");
    assert!(page.contains("You are signed in as victim@example.org now"));
    victim.follow_sign_in_link(&mallory_link).await;
    assert!(victim.get_ok("/settings/profile").await.contains("mallory@example.org"));
    // The session it replaced is over on the server too.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/settings/profile"))
        .header("cookie", format!("cowork_session={old_session}"))
        .sent()
        .await;
    assert!(location(&r).starts_with("/signin"));
}

#[tokio::test]
async fn a_rate_limited_form_keeps_what_was_typed() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let coc = cowork_core::community::DEFAULT_CODE_OF_CONDUCT;
    for i in 0..10 {
        let slug = format!("club-{i}");
        let r = ada.post("/communities/new", &[("slug", &slug), ("name", "Some club"), ("code_of_conduct", coc)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "community {i}");
    }
    let r = ada.post("/communities/new", &[("slug", "one-too-many"), ("name", "One too many"), ("code_of_conduct", coc)]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"one-too-many\"") && html.contains("Please wait a while"), "the form comes back, filled in");
    assert!(server.app().store.community("one-too-many").await.is_err());
}

#[tokio::test]
async fn malformed_addresses_get_pages_not_plain_text() {
    let server = Server::start().await;
    let c = server.client();
    let r = c.get("/communities?page=1&page=2").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("<main"));
    assert_eq!(c.get("/communities?page=abc").await.status(), StatusCode::OK, "a bad page number shows page 1");
    assert_eq!(c.get("/c/%FF%FE").await.status(), StatusCode::NOT_FOUND);
    let r = reqwest::Client::new().get(server.url("/api/v1/communities?page=1&page=2")).sent().await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "bad_query");
    let r = reqwest::Client::new().request("BREW".parse().unwrap(), server.url("/")).sent().await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let m = c.get("/metrics").await.text().await.unwrap();
    assert!(m.contains("method=\"OTHER\"") && !m.contains("BREW"), "made-up methods share one series");
}
