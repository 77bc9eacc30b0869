//! A form sent back with problems says, above it, which fields they are in.

use crate::support::Server;
use reqwest::StatusCode;

/// The error summary at the top of a page, as text.
fn summary(html: &str) -> &str {
    let start = html.find("id=\"form-errors\"").expect("the page has an error summary");
    let end = start + html[start..].find("</div>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn the_error_summary_names_each_field_and_links_to_it() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let r = ada.post("/communities/new", &[("name", ""), ("slug", "Not A Slug!"), ("time_zone", "Atlantis/Capital")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let s = summary(&html);
    assert!(s.contains("<a href=\"#f-name\">Name</a>: "), "{s}");
    assert!(s.contains("<a href=\"#f-slug\">Address</a>: "), "{s}");
    assert!(s.contains("<a href=\"#f-time_zone\">Time zone</a>: "), "{s}");
    for target in ["f-name", "f-slug", "f-time_zone"] {
        assert!(html.contains(&format!("id=\"{target}\"")), "the link to {target} leads to its input");
    }

    let r = ada.post("/settings/profile", &[("display_name", ""), ("time_zone", "UTC"), ("social_preference", "loud")]).await;
    let html = r.text().await.unwrap();
    let s = summary(&html);
    assert!(s.contains("<a href=\"#f-display_name\">Display name</a>: "), "{s}");
    assert!(s.contains("<strong>In coworking sessions I prefer to be</strong>: "), "{s}");
}
