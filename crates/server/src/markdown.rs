//! Markdown for text that organizers write (code of conduct, descriptions).
//! Raw HTML is shown as text and only web and mail links are kept, so no
//! script can ride in.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

pub fn to_html(md: &str) -> String {
    let parser = Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES).map(|ev| match ev {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { dest_url, .. }) => Event::Text(dest_url),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn safe_url(u: CowStr<'_>) -> CowStr<'_> {
    let l = u.trim().to_ascii_lowercase();
    if l.starts_with("http://") || l.starts_with("https://") || l.starts_with("mailto:") || l.starts_with('/') || l.starts_with('#') {
        u
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn scripts_and_bad_links_are_defused() {
        let h = to_html("<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**");
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("href=\"#\""), "{h}");
        assert!(h.contains("<strong>bold</strong>"));
    }
}
