//! Webhooks: which chat tools and events there are, which URLs may be called,
//! and what a message says. The payload shapes and the signing live in the
//! server; the rules here are plain functions.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::FieldError;

/// Where a webhook goes: each tool gets a payload in its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Slack,
    Discord,
    /// A Matrix client-server "send message" URL with an access token (see the README).
    Matrix,
    /// Any endpoint, signed per the Standard Webhooks specification.
    Generic,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Slack, Kind::Discord, Kind::Matrix, Kind::Generic];

    pub fn parse(s: &str) -> Result<Kind, FieldError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("kind", "Choose Slack, Discord, Matrix or generic."))
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Matrix => "matrix",
            Kind::Generic => "generic",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Slack => "Slack",
            Kind::Discord => "Discord",
            Kind::Matrix => "Matrix",
            Kind::Generic => "Generic (signed JSON)",
        }
    }
}

/// What an endpoint may hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SeriesCreated,
    SessionStarting,
    SessionCancelled,
    WeeklySchedule,
}

impl Event {
    pub const ALL: [Event; 4] = [Event::SeriesCreated, Event::SessionStarting, Event::SessionCancelled, Event::WeeklySchedule];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::SeriesCreated => "series.created",
            Event::SessionStarting => "session.starting",
            Event::SessionCancelled => "session.cancelled",
            Event::WeeklySchedule => "schedule.weekly",
        }
    }
    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Event::SeriesCreated => "A new series",
            Event::SessionStarting => "A session starts in 10 minutes (with its join link)",
            Event::SessionCancelled => "A session is cancelled",
            Event::WeeklySchedule => "The week's schedule, on Monday morning",
        }
    }
}

/// The events chosen, as stored: known names, each once, in the usual order.
pub fn parse_events(chosen: &[String]) -> Result<Vec<Event>, FieldError> {
    let mut events = Vec::new();
    for c in chosen {
        let e = Event::parse(c).ok_or_else(|| FieldError::new("events", format!("There is no event called “{c}”.")))?;
        if !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err(FieldError::new("events", "Choose at least one event."));
    }
    events.sort_by_key(|e| Event::ALL.iter().position(|x| x == e));
    Ok(events)
}

/// An http(s) URL with a host, at most 2,000 characters, no credentials or
/// fragments in the way; returns it trimmed. Whether its host may be called is
/// decided on the addresses it resolves to (`is_public`).
pub fn parse_url(s: &str) -> Result<String, FieldError> {
    let url = s.trim();
    let bad = |m: &str| FieldError::new("url", m.to_string());
    if url.is_empty() {
        return Err(bad("Paste the webhook URL your chat tool gave you."));
    }
    if url.len() > 2000 {
        return Err(bad("That URL is too long (at most 2,000 characters)."));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(bad("Use an http:// or https:// URL."));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("That is not a complete URL."));
    }
    if host.contains('@') {
        return Err(bad("Put no user name or password in the URL."));
    }
    Ok(url.to_string())
}

/// Whether an address is on the public internet: not private, loopback,
/// link-local, unique-local, carrier-grade NAT, multicast, reserved or
/// unspecified (a webhook must not reach into the instance's own network).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => public_v6(a),
    }
}

fn public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_documentation()
        || b0 == 0
        || (b0 == 100 && (64..128).contains(&b1)) // carrier-grade NAT
        || (b0 == 192 && b1 == 0 && b2 == 0) // IETF protocol assignments
        || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
        || b0 >= 240)
}

fn public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let s = a.segments();
    // NAT64 reaches the v4 address it embeds.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return public_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
    }
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
        || s[0..6] == [0, 0, 0, 0, 0, 0]) // v4-compatible (deprecated)
}

/// Markdown-ish control characters of chat tools are not interpreted in
/// titles people wrote: `<`, `>` and `&` are escaped for Slack, `@` mentions
/// are made inert for Discord by its `allowed_mentions`, not here.
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host() {
        assert!(parse_url("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(parse_url(" http://example.org/hook ").is_ok());
        for bad in [
            "",
            "ftp://example.org/x",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "https://u:p@example.org/",
            "https://exa mple.org/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn events_are_known_unique_and_at_least_one() {
        let e = parse_events(&["session.cancelled".into(), "series.created".into(), "series.created".into()]).unwrap();
        assert_eq!(e, vec![Event::SeriesCreated, Event::SessionCancelled]);
        assert!(parse_events(&[]).is_err());
        assert!(parse_events(&["session.exploded".into()]).is_err());
    }
}
