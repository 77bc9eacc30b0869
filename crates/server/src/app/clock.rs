//! The time the app goes by for what happens later: due jobs, deadlines,
//! reminders. Wall time, unless a test has moved it (each app its own, so
//! tests running side by side don't move each other's clocks).

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
pub struct Clock {
    /// Milliseconds added to wall time; 0 outside tests.
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        super::room::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
    /// Moves this app's time forward (or back) by `seconds`, as a test does
    /// instead of waiting.
    pub fn advance(&self, seconds: i64) {
        self.offset_ms.fetch_add(seconds * 1000, Ordering::Relaxed);
    }
    /// Sets this app's time to `unix` seconds.
    pub fn set(&self, unix: i64) {
        self.offset_ms.store(unix * 1000 - super::room::now_ms(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_clock_moves_only_when_told() {
        let c = super::Clock::default();
        let wall = c.now();
        c.advance(3600);
        assert!((c.now() - wall - 3600).abs() <= 1);
        c.set(1_000_000);
        assert!((c.now() - 1_000_000).abs() <= 1);
    }
}
