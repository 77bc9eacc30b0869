//! A two-second cache of public pages as anonymous visitors see them (the
//! upcoming directory). Those pages are the same for every anonymous visitor,
//! and a burst of visitors then costs one render, not one each (and one compression).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A rendered page in each coding a browser may take.
pub type Page = crate::web::Encoded;

const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 512;

#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, (Instant, Arc<Page>)>>,
}

impl PageCache {
    pub fn get(&self, key: &str) -> Option<Arc<Page>> {
        let m = self.pages.lock().ok()?;
        m.get(key).filter(|(at, _)| at.elapsed() < TTL).map(|(_, b)| b.clone())
    }

    pub fn put(&self, key: String, page: Arc<Page>) {
        if let Ok(mut m) = self.pages.lock() {
            if m.len() >= MAX_ENTRIES {
                m.retain(|_, (at, _)| at.elapsed() < TTL);
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
            }
            m.insert(key, (Instant::now(), page));
        }
    }
}
