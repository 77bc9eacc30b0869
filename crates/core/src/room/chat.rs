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

/// Reads the light formatting of a message.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(Span::Break);
        }
        for (j, word) in line.split(' ').enumerate() {
            let space = if j > 0 { " " } else { "" };
            let span = classify(word);
            match (span, out.last_mut()) {
                (Span::Text(t), Some(Span::Text(prev))) => {
                    prev.push_str(space);
                    prev.push_str(&t);
                }
                (span, _) => {
                    if !space.is_empty() {
                        match out.last_mut() {
                            Some(Span::Text(prev)) => prev.push(' '),
                            _ => out.push(Span::Text(" ".into())),
                        }
                    }
                    out.push(span);
                }
            }
        }
    }
    out.retain(|s| !matches!(s, Span::Text(t) if t.is_empty()));
    out
}

fn classify(word: &str) -> Span {
    let wrapped = |c: char| word.len() > 2 && word.starts_with(c) && word.ends_with(c) && word.chars().count() > 2;
    let lower = word.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://")) && word.len() > 8 && !word.contains(['"', '<', '>']) {
        Span::Link(word.to_string())
    } else if wrapped('*') {
        Span::Bold(word[1..word.len() - 1].to_string())
    } else if wrapped('_') {
        Span::Italic(word[1..word.len() - 1].to_string())
    } else if wrapped('`') {
        Span::Code(word[1..word.len() - 1].to_string())
    } else {
        Span::Text(word.to_string())
    }
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
        assert_eq!(spans("https://x.org/\"onmouseover=1"), vec![Text("https://x.org/\"onmouseover=1".into())], "no quotes in links");
        assert_eq!(spans("**"), vec![Text("**".into())]);
    }
}
