//! Two-second caches of what is the same for everyone: public pages as
//! anonymous visitors see them (the upcoming directory), and the directory's
//! sessions, which signed-in pages render in each viewer's zone. A burst of
//! visitors then costs one query (and one render and compression for the
//! anonymous page), not one each; a list two seconds old is as good as new.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A rendered page in each coding a browser may take.
pub type Page = crate::web::Encoded;
pub type PageCache = TtlCache<Page>;

const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 512;

pub struct TtlCache<V> {
    entries: Mutex<HashMap<String, (Instant, Arc<V>)>>,
}

impl<V> Default for TtlCache<V> {
    fn default() -> Self {
        TtlCache { entries: Mutex::default() }
    }
}

impl<V> TtlCache<V> {
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let m = self.entries.lock().ok()?;
        m.get(key).filter(|(at, _)| at.elapsed() < TTL).map(|(_, b)| b.clone())
    }

    pub fn put(&self, key: String, value: Arc<V>) {
        if let Ok(mut m) = self.entries.lock() {
            if m.len() >= MAX_ENTRIES {
                m.retain(|_, (at, _)| at.elapsed() < TTL);
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
            }
            m.insert(key, (Instant::now(), value));
        }
    }
}
