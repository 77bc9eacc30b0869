//! Room chat: what a message may be, and how its light formatting is read.
//! Messages are plain text; `*bold*`, `_italic_`, `` `code` `` and links are
//! recognised, and only http(s) links become links, so nothing a participant
//! types can run in anyone's browser.

use crate::input::FieldError;
use serde::Serialize;

pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Checks a message: trimmed, not empty, not too long, no control characters but newlines.
pub fn message(raw: &str) -> Result<String, FieldError> {
    let text: String = raw.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || *c == '\n').collect();
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(FieldError::new("text", "Write something first."));
    }
    let n = text.chars().count();
    if n > MAX_MESSAGE_CHARS {
        return Err(FieldError::new("text", format!("A message is at most {MAX_MESSAGE_CHARS} characters (this has {n}).")));
    }
    Ok(text)
}

/// A piece of a message, for the page to render (escaped) as it likes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Span {
    Text(String),
    Bold(String),
    Italic(String),
    Code(String),
    Link(String),
    Break,
}

/// Reads the light formatting of a message as the chat tools people know do:
/// `*two words*` and `_so_` need the edge or a non-word character outside
/// their markers (so `2*3*4` and snake_case stay text), `` `code` `` takes
/// anything up to the next backtick, and a link ends at a space with its
/// trailing punctuation left outside. Nothing is dropped: markers aside, the
/// spans hold the whole text.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(Span::Break);
        }
        line_spans(line, &mut out);
    }
    out
}

fn line_spans(line: &str, out: &mut Vec<Span>) {
    let mut pending = 0;
    let mut i = 0;
    while i < line.len() {
        let after_word = line[..i].chars().next_back().is_some_and(is_word);
        let found = match line.as_bytes()[i] {
            b'`' => code(line, i),
            b'*' | b'_' if !after_word => emphasis(line, i),
            b'h' | b'H' if !after_word => link(line, i),
            _ => None,
        };
        match found {
            Some((span, end)) => {
                push_text(out, &line[pending..i]);
                out.push(span);
                (i, pending) = (end, end);
            }
            None => i += line[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    push_text(out, &line[pending..]);
}

fn push_text(out: &mut Vec<Span>, s: &str) {
    match out.last_mut() {
        _ if s.is_empty() => {}
        Some(Span::Text(t)) => t.push_str(s),
        _ => out.push(Span::Text(s.to_string())),
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `` `…` ``: up to the next backtick, if there is something in between.
fn code(line: &str, at: usize) -> Option<(Span, usize)> {
    let len = line[at + 1..].find('`')?;
    let inner = &line[at + 1..at + 1 + len];
    (!inner.trim().is_empty()).then(|| (Span::Code(inner.to_string()), at + len + 2))
}

/// `*…*` or `_…_`: opened before a non-space, closed after one and before the
/// edge or a non-word character, as in `*bold*.`
fn emphasis(line: &str, at: usize) -> Option<(Span, usize)> {
    let marker = line.as_bytes()[at] as char;
    let first = line[at + 1..].chars().next()?;
    if first.is_whitespace() || first == marker {
        return None;
    }
    let from = at + 1 + first.len_utf8();
    for (k, c) in line[from..].char_indices() {
        let end = from + k;
        if c != marker || line[..end].chars().next_back().is_some_and(char::is_whitespace) {
            continue;
        }
        if line[end + 1..].chars().next().is_some_and(is_word) {
            continue;
        }
        let inner = line[at + 1..end].to_string();
        let span = if marker == '*' { Span::Bold(inner) } else { Span::Italic(inner) };
        return Some((span, end + 1));
    }
    None
}

/// An http(s) link: up to a space or a character that cannot be in one, less
/// the punctuation that ends a sentence around it, and less a closing bracket
/// it did not open, as in "(see https://example.org)".
fn link(line: &str, at: usize) -> Option<(Span, usize)> {
    let rest = &line[at..];
    let scheme = ["https://", "http://"].into_iter().find(|p| rest.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)))?;
    let mut url = &rest[..rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`')).unwrap_or(rest.len())];
    loop {
        let unopened = |open: char, close: char| url.ends_with(close) && url.matches(close).count() > url.matches(open).count();
        if url.ends_with(['.', ',', ':', ';', '!', '?', '\'']) || unopened('(', ')') || unopened('[', ']') {
            url = &url[..url.len() - 1];
        } else {
            break;
        }
    }
    (url.len() > scheme.len()).then(|| (Span::Link(url.to_string()), at + url.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_checked() {
        assert_eq!(message("  hello \u{7}there ").unwrap(), "hello there");
        assert!(message("   ").is_err());
        assert!(message(&"x".repeat(2001)).is_err());
        assert_eq!(message("a\r\nb").unwrap(), "a\nb");
    }

    #[test]
    fn light_formatting_and_only_web_links() {
        use Span::*;
        assert_eq!(
            spans("hi *there* https://a.org"),
            vec![Text("hi ".into()), Bold("there".into()), Text(" ".into()), Link("https://a.org".into())]
        );
        assert_eq!(spans("a\nb c"), vec![Text("a".into()), Break, Text("b c".into())]);
        assert_eq!(
            spans("x javascript:alert(1) `run` _so_"),
            vec![Text("x javascript:alert(1) ".into()), Code("run".into()), Text(" ".into()), Italic("so".into())]
        );
        assert_eq!(
            spans("https://x.org/\"onmouseover=1"),
            vec![Link("https://x.org/".into()), Text("\"onmouseover=1".into())],
            "a quote ends a link"
        );
        assert_eq!(spans("**"), vec![Text("**".into())]);
    }

    #[test]
    fn formatting_as_people_type_it() {
        use Span::*;
        assert_eq!(spans("a *two words* b"), vec![Text("a ".into()), Bold("two words".into()), Text(" b".into())]);
        assert_eq!(spans("*bold*."), vec![Bold("bold".into()), Text(".".into())]);
        assert_eq!(spans("run `pytest -k` now"), vec![Text("run ".into()), Code("pytest -k".into()), Text(" now".into())]);
        assert_eq!(spans("(_really_)"), vec![Text("(".into()), Italic("really".into()), Text(")".into())]);
        for plain in ["2*3*4", "snake_case_name", "a * b * c", "__init__", "* not bold*", "``"] {
            assert_eq!(spans(plain), vec![Text(plain.into())], "{plain}");
        }
    }

    #[test]
    fn trailing_punctuation_stays_outside_links() {
        use Span::*;
        for end in [".", ",", ")", "!", "?", "...", "?!"] {
            let text = format!("see https://example.org/a{end}");
            assert_eq!(spans(&text), vec![Text("see ".into()), Link("https://example.org/a".into()), Text(end.into())], "{text}");
        }
        assert_eq!(spans("(see https://a.org/x)"), vec![Text("(see ".into()), Link("https://a.org/x".into()), Text(")".into())]);
        assert_eq!(
            spans("https://en.wikipedia.org/wiki/Rust_(language)."),
            vec![Link("https://en.wikipedia.org/wiki/Rust_(language)".into()), Text(".".into())],
            "a bracket the link opened is its own"
        );
        assert_eq!(spans("https://a.org/x.html"), vec![Link("https://a.org/x.html".into())]);
        assert_eq!(spans("https://."), vec![Text("https://.".into())]);
    }

    /// The text a list of spans was read from: markers put back.
    fn source(spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| match s {
                Span::Text(t) | Span::Link(t) => t.clone(),
                Span::Bold(t) => format!("*{t}*"),
                Span::Italic(t) => format!("_{t}_"),
                Span::Code(t) => format!("`{t}`"),
                Span::Break => "\n".into(),
            })
            .collect()
    }

    #[test]
    fn property_random_text_loses_nothing_and_links_only_the_web() {
        // Markers, brackets, sentence punctuation, schemes and multi-byte text, mixed at random.
        let pieces: Vec<&str> =
            "*|_|`| |\n|.|,|)|(|]|!|?|:|\"|<|'|a|word|é|😀|https://|http://|HTTPS://|javascript:|x.org|/p|2|\u{a0}".split('|').collect();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(24);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let read = spans(&text);
            assert_eq!(source(&read), text, "nothing lost: {read:?}");
            for s in &read {
                match s {
                    Span::Link(u) => {
                        let lower = u.to_ascii_lowercase();
                        assert!(lower.starts_with("https://") || lower.starts_with("http://"), "{u}");
                        assert!(!u.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')), "{u}");
                    }
                    Span::Text(t) => assert!(!t.is_empty()),
                    _ => {}
                }
            }
        }
    }
}
