//! Pages, JSON and text are sent gzipped to clients that ask for it. Bodies
//! are small and whole (rendered templates), so they are compressed in one go;
//! answers that are already encoded (calendar feeds, static files) or streamed
//! pass through untouched. Brotli would save a little more but needs a large
//! dependency; gzip uses the `flate2` that feeds already need.

use axum::body::{to_bytes, Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::io::Write;

/// Below this, gzip's header and the CPU cost more than they save.
const MIN_BYTES: u64 = 1024;
const MAX_BYTES: u64 = 8 * 1024 * 1024;

pub async fn compress(req: Request, next: Next) -> Response {
    let wants = accepts_gzip(req.headers());
    let mut res = next.run(req).await;
    if !compressible(&res) {
        return res;
    }
    let varies =
        res.headers().get_all(header::VARY).iter().any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding")));
    if !varies {
        res.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let size = res.body().size_hint().exact();
    if !wants || !size.is_some_and(|n| (MIN_BYTES..=MAX_BYTES).contains(&n)) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A body of exact, bounded size is already in memory: reading it cannot fail or grow.
    let Ok(bytes) = to_bytes(body, MAX_BYTES as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::from(gzip_at(&bytes, flate2::Compression::fast())))
}

fn compressible(res: &Response) -> bool {
    let status = res.status();
    if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return false;
    }
    if res.headers().contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let ct = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.starts_with("text/") || ct.starts_with("application/json") || ct.starts_with("image/svg+xml")
}

/// Whether `Accept-Encoding` allows gzip (`gzip`, `x-gzip` or `*`, unless given `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.find_map(|p| p.trim().strip_prefix("q=").map(str::trim)).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && q > 0.0
    })
}

/// A shared page, gzipped already (once for every visitor) when the client takes it.
pub fn cached_page(headers: &HeaderMap, page: crate::page_cache::Page) -> Response {
    let mut res = if accepts_gzip(headers) {
        let mut r = Html(page.gzip).into_response();
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Html(page.html).into_response()
    };
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

/// Compressed once and kept (static files, shared pages): worth the best ratio.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::default())
}

/// Compressed for one answer: the fastest level, which costs about half the CPU
/// for a page 10–20% larger.
fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), level);
    // Writing to a Vec cannot fail.
    enc.write_all(bytes).and_then(|_| enc.finish()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(v: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        accepts_gzip(&h)
    }

    #[test]
    fn gzip_is_sent_only_when_asked_for() {
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("br;q=1.0, gzip;q=0.8"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
