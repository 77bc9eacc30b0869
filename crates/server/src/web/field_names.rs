//! What each form field is called on the page, so that a form's error summary
//! can say which field a problem is in and link to it.

/// A problem as the error summary lists it: the field's name on the page (if
/// the problem is in one field), the input to jump to, and the message.
pub struct SummaryItem {
    pub label: Option<&'static str>,
    /// The `id` of the field's input, when it has one to move to.
    pub target: Option<String>,
    pub message: String,
}

/// Where the summary's link for a field goes.
#[derive(Clone, Copy)]
enum Jump {
    /// The input `f-{field}`.
    Input,
    /// An input with another id.
    To(&'static str),
    /// Nowhere: a group of radio buttons, or an input without an id.
    Nowhere,
}
use Jump::{Input, Nowhere, To};

/// Field key → name as the page shows it, and where to jump to.
const FIELDS: &[(&str, &str, Jump)] = &[
    ("accept_code_of_conduct", "Code of conduct", To("f-accept")),
    ("address", "Address (in person)", Input),
    ("availability", "Who I work with", Nowhere),
    ("below", "Score under (%)", Input),
    ("bio", "Short bio", Input),
    ("booking", "Booking", Nowhere),
    ("camera", "Camera", Nowhere),
    ("capacity", "Places", Input),
    ("code_of_conduct", "Code of conduct", Input),
    ("conduct_contact", "Code of conduct contact", Input),
    ("confirm", "Repeat it", Input),
    ("count", "Ends after", Nowhere),
    ("days", "Valid for (days)", Input),
    ("description", "Description", Input),
    ("display_name", "Display name", Input),
    ("email", "E-mail address", Input),
    ("ends", "Ends", Nowhere),
    ("file", "Calendar file", Input),
    ("format", "Format", Input),
    ("interval", "Every", Input),
    ("join_policy", "How people join", Nowhere),
    ("kinds", "What to hear of", Nowhere),
    ("label", "Label", Input),
    ("language", "Language", Input),
    ("link_chat", "Chat link", Input),
    ("link_newsletter", "Newsletter link", Input),
    ("link_website", "Website", Input),
    ("max_uses", "Most uses", Input),
    ("minutes", "Length", Nowhere),
    ("month_day", "Monthly, on day", Input),
    ("month_weekday", "Monthly, on the", Input),
    ("muted_communities", "Muted communities", Nowhere),
    ("name", "Name", Input),
    ("odd_one_out", "If no one is left to pair with", Nowhere),
    ("offer", "Partner sessions", Nowhere),
    ("password", "Password", Input),
    ("phases", "Phases", Nowhere),
    ("place", "Where", Nowhere),
    ("pool", "Book with", Input),
    ("pronouns", "Pronouns", Input),
    ("reason", "What happened", To("f-reason")),
    ("reminder_times", "Reminder times", Nowhere),
    ("repeat", "Repeats", Nowhere),
    ("slots", "Slots held at once", Input),
    ("slug", "Address", Input),
    ("social_preference", "In coworking sessions I prefer to be", Nowhere),
    ("start_date", "Date", Input),
    ("start_time", "Starts at", Input),
    ("starts_at", "Time", To("f-time")),
    ("subject", "Subject", Input),
    ("talk", "Talking", Nowhere),
    ("text", "Message", Input),
    ("time_zone", "Time zone", Input),
    ("title", "Title", Input),
    ("topics", "Topics", Input),
    ("until", "Ends on", Nowhere),
    ("video_url", "Video call link", Input),
    ("visibility", "Who can see it", Nowhere),
    ("work", "Kind of work", Nowhere),
];

pub fn summary_item(field: &str, message: &str) -> SummaryItem {
    match FIELDS.iter().find(|(key, _, _)| *key == field) {
        Some(&(key, label, jump)) => {
            let target = match jump {
                Input => Some(format!("f-{key}")),
                To(id) => Some(id.to_string()),
                Nowhere => None,
            };
            SummaryItem { label: Some(label), target, message: message.to_string() }
        }
        None => SummaryItem { label: None, target: None, message: message.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_its_field_and_links_to_its_input() {
        let i = summary_item("slug", "Use lower-case letters.");
        assert_eq!((i.label, i.target.as_deref()), (Some("Address"), Some("f-slug")));
        let i = summary_item("visibility", "Choose one.");
        assert_eq!((i.label, i.target), (Some("Who can see it"), None));
        let i = summary_item("form", "Someone else saved first.");
        assert_eq!((i.label, i.target), (None, None));
    }
}
