//! Parsing of what people type: "parse, don't validate". Each newtype can only
//! hold a value that passed its rule, so later layers never re-check.

use serde::Serialize;
use std::fmt;

/// One problem with one field, shown beside that field on a form and listed in
/// a 422 answer from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into() }
    }
}

/// Every problem found in one submission, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        Invalid(vec![FieldError::new(field, message)])
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    /// Keeps the value of `r` or records its error.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Trims a single-line field, refuses control characters and enforces a length.
pub fn line(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "Use a single line of plain text."));
    }
    let n = char_len(v);
    if n < min {
        return Err(if min == 1 {
            FieldError::new(field, "This field is required.")
        } else {
            FieldError::new(field, format!("Use at least {min} characters."))
        });
    }
    if n > max {
        return Err(FieldError::new(field, format!("Use at most {max} characters (this has {n}).")));
    }
    Ok(v.to_string())
}

/// A multi-line text (bio, description, code of conduct): newlines allowed,
/// other control characters dropped, length enforced.
pub fn text(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v: String = raw.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    let v = v.trim().to_string();
    let n = char_len(&v);
    if n > max {
        return Err(FieldError::new(field, format!("Use at most {max} characters (this has {n}).")));
    }
    Ok(v)
}

/// An e-mail address, kept in lower case so one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let v = raw.trim().to_lowercase();
        let bad = || FieldError::new("email", "Enter an e-mail address like name@example.org.");
        if v.is_empty() {
            return Err(FieldError::new("email", "Enter your e-mail address."));
        }
        if v.len() > 254 {
            return Err(FieldError::new("email", "That address is too long (at most 254 characters)."));
        }
        let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || domain.len() < 3 || !domain.contains('.') {
            return Err(bad());
        }
        let local_ok = local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let domain_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !local_ok || !domain_ok {
            return Err(bad());
        }
        Ok(Email(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A friendly first display name for a new account: the part before the @.
    pub fn suggested_name(&self) -> String {
        let local = self.0.split('@').next().unwrap_or("");
        let name: String =
            local.split(['.', '_', '-', '+']).filter(|s| !s.is_empty()).take(3).map(capitalize).collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            "New member".into()
        } else {
            name.chars().take(60).collect()
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A community's address part: lower-case letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

/// Slugs that would collide with pages of our own.
const RESERVED_SLUGS: &[&str] = &["new", "admin", "api", "static", "edit", "join", "settings", "signin", "signout", "healthz", "metrics"];

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, FieldError> {
        let v = raw.trim().to_lowercase();
        let f = |m: &str| FieldError::new("slug", m.to_string());
        if v.len() < 3 {
            return Err(f("Use at least 3 characters."));
        }
        if v.len() > 40 {
            return Err(f("Use at most 40 characters."));
        }
        if !v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(f("Use only lower-case letters a–z, digits and hyphens."));
        }
        if v.starts_with('-') || v.ends_with('-') || v.contains("--") {
            return Err(f("Hyphens go between words: no hyphen at the start or end, and never two in a row."));
        }
        if RESERVED_SLUGS.contains(&v.as_str()) {
            return Err(f("That address is reserved; choose another."));
        }
        Ok(Slug(v))
    }
    /// Proposes a slug from a community name ("Turing Way Coworking" → "turing-way-coworking").
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_string()
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An http(s) link a community shows (chat, newsletter, website). Empty means none.
pub fn optional_url(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > 500 {
        return Err(FieldError::new(field, "Use a link of at most 500 characters."));
    }
    let lower = v.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(r)
            if !r.is_empty()
                && !r.starts_with('/')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>') =>
        {
            Ok(v.to_string())
        }
        _ => Err(FieldError::new(field, "Enter a full link starting with https://")),
    }
}

/// Topics a community lists for the directory: comma separated, lower case, deduplicated.
pub fn topics(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.split(',') {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 30 || t.chars().any(|c| c.is_control()) {
            return Err(FieldError::new("topics", "Each topic is at most 30 characters of plain text."));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 10 {
        return Err(FieldError::new("topics", "List at most 10 topics."));
    }
    Ok(out)
}

/// Passwords are optional; when set they must be long enough to resist guessing.
pub fn password(raw: &str) -> Result<String, FieldError> {
    let n = raw.chars().count();
    if n < 10 {
        return Err(FieldError::new("password", "Use at least 10 characters."));
    }
    if n > 200 {
        return Err(FieldError::new("password", "Use at most 200 characters."));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.ORG ").unwrap().as_str(), "ada@example.org");
        for bad in
            ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org", "ada@exa_mple.org", "ada..l@example.org", "ada@-x.org"]
        {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn suggested_name_comes_from_the_local_part() {
        assert_eq!(Email::parse("ada.lovelace@example.org").unwrap().suggested_name(), "Ada Lovelace");
    }

    #[test]
    fn slugs_follow_the_rule() {
        assert_eq!(Slug::parse("Turing-Way").unwrap().as_str(), "turing-way");
        for bad in ["ab", "-abc", "abc-", "a--b", "héllo", "with space", "new", &"x".repeat(41)] {
            assert!(Slug::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(Slug::suggest("The Turing Way: Coworking!"), "the-turing-way-coworking");
    }

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(line("name", "  Ada ", 1, 10).unwrap(), "Ada");
        assert!(line("name", "   ", 1, 10).is_err());
        assert!(line("name", "a\nb", 1, 10).is_err());
        assert!(line("name", "ééééééééééé", 1, 10).is_err());
        assert!(line("name", "éééééééééé", 1, 10).is_ok());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(optional_url("link", "javascript:alert(1)").is_err());
        assert!(optional_url("link", "https://").is_err());
        assert_eq!(optional_url("link", " https://chat.example.org/x ").unwrap(), "https://chat.example.org/x");
        assert_eq!(optional_url("link", "").unwrap(), "");
    }

    #[test]
    fn topics_are_normalized() {
        assert_eq!(topics("Open Science, writing, open science,").unwrap(), vec!["open science", "writing"]);
        assert!(topics(&(0..11).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",")).is_err());
    }
}
