//! The embedded CSS, JavaScript and icon. Pages link them by a name that
//! carries a hash of their content (`/static/app.3f2a9c1b04.css`), cached for
//! a year: a release that changes a file changes its name. The plain names
//! (`/static/app.css`) keep working for old pages and bookmarks, cached for
//! five minutes and revalidated with an ETag.

use super::compression::{Effort, Encoded};
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

struct Asset {
    /// `app.css`
    name: &'static str,
    /// `/static/app.3f2a9c1b04.css`
    url: String,
    content_type: &'static str,
    /// Compressed once, at first use, not per request.
    body: Encoded,
    etag: String,
}

const FILES: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../static/app.js")),
    ("room.js", "text/javascript; charset=utf-8", include_str!("../../static/room.js")),
    // Imported by room.js by their plain names (revalidated with an ETag).
    ("room-timer.js", "text/javascript; charset=utf-8", include_str!("../../static/room-timer.js")),
    ("room-merge.js", "text/javascript; charset=utf-8", include_str!("../../static/room-merge.js")),
    ("room-notes.js", "text/javascript; charset=utf-8", include_str!("../../static/room-notes.js")),
    ("room-alerts.js", "text/javascript; charset=utf-8", include_str!("../../static/room-alerts.js")),
    ("push.js", "text/javascript; charset=utf-8", include_str!("../../static/push.js")),
    ("checkin.js", "text/javascript; charset=utf-8", include_str!("../../static/checkin.js")),
    ("pair.js", "text/javascript; charset=utf-8", include_str!("../../static/pair.js")),
    ("near.js", "text/javascript; charset=utf-8", include_str!("../../static/near.js")),
    ("near.css", "text/css; charset=utf-8", include_str!("../../static/near.css")),
    ("icon.svg", "image/svg+xml", include_str!("../../static/icon.svg")),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "public, max-age=300";

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, content_type, body)| {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(body.as_bytes());
            let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                url: format!("/static/{stem}.{hash}.{ext}"),
                content_type,
                body: Encoded::new(body.as_bytes(), Effort::Best),
                // Weak: the body in each coding shares it.
                etag: format!("W/\"{hash}\""),
            }
        })
        .collect()
});

/// Compresses the files now, at start, rather than in the first visitor's request.
pub fn prepare() {
    LazyLock::force(&ASSETS);
}

/// The URL pages link a static file by; `name` is one of the embedded files.
pub fn url(name: &str) -> &'static str {
    ASSETS.iter().find(|a| a.name == name).map(|a| a.url.as_str()).unwrap_or("/static/missing")
}

/// `/static/{file}`: the hashed name of the current file is immutable; its
/// plain name, or a hashed name from another release (a page rendered by an
/// older node during an upgrade), gets the current file for a short while.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let current = ASSETS.iter().find(|a| a.url.strip_prefix("/static/") == Some(file.as_str()));
    let (asset, cache) = match current {
        Some(a) => (a, IMMUTABLE),
        None => match ASSETS.iter().find(|a| a.name == file || a.name == without_hash(&file)) {
            Some(a) => (a, REVALIDATE),
            None => return super::not_found().await,
        },
    };
    let mut res =
        if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag)) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let (body, coding) = asset.body.body_for(&headers);
            let mut r = Body::from(body).into_response();
            if let Some(c) = coding {
                r.headers_mut().insert(header::CONTENT_ENCODING, c);
            }
            r
        };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&asset.etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// `app.0123456789.css` → `app.css`
fn without_hash(file: &str) -> String {
    let parts: Vec<&str> = file.split('.').collect();
    match parts.as_slice() {
        [stem, hash, ext] if hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => format!("{stem}.{ext}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_follow_the_content() {
        let css = url("app.css");
        assert!(css.starts_with("/static/app.") && css.ends_with(".css") && css.len() == "/static/app..css".len() + 10, "{css}");
        assert_ne!(url("app.js"), url("room.js"));
        assert_eq!(without_hash("app.0123456789.css"), "app.css");
        assert_eq!(without_hash("app.css"), "");
    }
}
