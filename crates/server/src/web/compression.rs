//! Pages, JSON and text are sent compressed to clients that ask for it:
//! brotli when they take it (every current browser), else gzip. Bodies are
//! small and whole (rendered templates), so they are compressed in one go;
//! answers that are already encoded (calendar feeds, static files, shared
//! pages) or streamed pass through untouched.

use axum::body::{to_bytes, Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::io::Write;

/// Below this, the encoding's framing and the CPU cost more than they save.
const MIN_BYTES: u64 = 1024;
const MAX_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    fn header(self) -> Option<HeaderValue> {
        match self {
            Coding::Brotli => Some(HeaderValue::from_static("br")),
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Identity => None,
        }
    }
}

/// How hard to try, by how often the result is sent.
#[derive(Clone, Copy)]
pub enum Effort {
    /// Static files: compressed once per process, sent all the time.
    Best,
    /// Shared pages: compressed once per visitor burst (the page cache keeps them 2 s).
    Good,
    /// A page rendered for one viewer, sent once.
    Fast,
}

/// A body kept ready in each coding.
#[derive(Clone)]
pub struct Encoded {
    pub plain: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
}

impl Encoded {
    pub fn new(plain: impl Into<Bytes>, effort: Effort) -> Encoded {
        let plain = plain.into();
        Encoded { gzip: encode(&plain, Coding::Gzip, effort).into(), brotli: encode(&plain, Coding::Brotli, effort).into(), plain }
    }

    /// The body for a client's `Accept-Encoding`, with its `Content-Encoding`.
    pub fn body_for(&self, headers: &HeaderMap) -> (Bytes, Option<HeaderValue>) {
        let coding = negotiate(headers);
        let body = match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
            Coding::Identity => &self.plain,
        };
        (body.clone(), coding.header())
    }
}

pub async fn compress(req: Request, next: Next) -> Response {
    let coding = negotiate(req.headers());
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
    let Some(value) = coding.header() else { return res };
    if !size.is_some_and(|n| (MIN_BYTES..=MAX_BYTES).contains(&n)) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A body of exact, bounded size is already in memory: reading it cannot fail or grow.
    let Ok(bytes) = to_bytes(body, MAX_BYTES as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_ENCODING, value);
    Response::from_parts(parts, Body::from(encode(&bytes, coding, Effort::Fast)))
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

/// Whether `Accept-Encoding` allows `coding` (by name or `*`, unless given `q=0`).
fn accepts(headers: &HeaderMap, names: &[&str]) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.find_map(|p| p.trim().strip_prefix("q=").map(str::trim)).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        (names.contains(&coding.as_str()) || coding == "*") && q > 0.0
    })
}

pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    accepts(headers, &["gzip", "x-gzip"])
}

/// Brotli if the client takes it (smaller at the same cost), else gzip, else none.
pub fn negotiate(headers: &HeaderMap) -> Coding {
    if accepts(headers, &["br"]) {
        Coding::Brotli
    } else if accepts_gzip(headers) {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// A shared page, compressed already (once for every visitor).
pub fn cached_page(headers: &HeaderMap, page: &Encoded) -> Response {
    let (body, coding) = page.body_for(headers);
    let mut res = Html(body).into_response();
    if let Some(c) = coding {
        res.headers_mut().insert(header::CONTENT_ENCODING, c);
    }
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

/// For one answer brotli 4 and gzip 1 cost about the same CPU, brotli ~10%
/// smaller; brotli 11 takes ~100 ms for the style sheet, once.
pub fn encode(bytes: &[u8], coding: Coding, effort: Effort) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    // Writing to a Vec cannot fail.
    match coding {
        Coding::Brotli => {
            let quality = match effort {
                Effort::Best => 11,
                Effort::Good => 5,
                Effort::Fast => 4,
            };
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
            let _ = w.write_all(bytes);
        }
        Coding::Gzip => {
            let level = match effort {
                Effort::Best => flate2::Compression::best(),
                Effort::Good => flate2::Compression::default(),
                Effort::Fast => flate2::Compression::fast(),
            };
            let mut enc = flate2::write::GzEncoder::new(&mut out, level);
            let _ = enc.write_all(bytes).and_then(|_| enc.try_finish());
        }
        Coding::Identity => out.extend_from_slice(bytes),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding(v: &str) -> Coding {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn the_smallest_coding_the_client_takes_is_chosen() {
        assert_eq!(coding("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(coding("br;q=0, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(coding("gzip"), Coding::Gzip);
        assert_eq!(coding("*"), Coding::Brotli);
        assert_eq!(coding("gzip;q=0"), Coding::Identity);
        assert_eq!(coding("identity"), Coding::Identity);
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
    }

    #[test]
    fn bodies_come_back_whole() {
        let text = "Weekly Coworking ".repeat(200);
        let gz = encode(text.as_bytes(), Coding::Gzip, Effort::Fast);
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert_eq!(back, text);
        let br = encode(text.as_bytes(), Coding::Brotli, Effort::Best);
        let mut back = String::new();
        std::io::Read::read_to_string(&mut brotli::Decompressor::new(&br[..], 4096), &mut back).unwrap();
        assert_eq!(back, text);
    }
}
