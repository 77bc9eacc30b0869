//! The live room, continued: the timer's agenda and its undo, and text the
//! databases would treat differently (docs/room-protocol.md).

use crate::room::{open, room_of_two};
use crate::support::Server;
use serde_json::json;

#[tokio::test]
async fn nul_in_room_text_gets_the_same_clear_error_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let server = Server::start_on(backend).await;
        let (session, host, member) = room_of_two(&server, &format!("nul-{backend}")).await;
        let mut a = open(&server, &host, &session.id).await.unwrap();
        let mut b = open(&server, &member, &session.id).await.unwrap();
        let notes = b.snapshot["notes"].clone();
        let frames = [
            (json!({"type": "notes_edit", "base": notes["version"], "text": "# Notes\u{0}", "ref": "n1"}), "text"),
            (json!({"type": "chat", "text": "hi\u{0}there", "ref": "c1"}), "text"),
            (json!({"type": "goal_add", "text": "\u{0}", "ref": "g1"}), "text"),
            (json!({"type": "table_propose", "topic": "Docs\u{0}", "ref": "t1"}), "topic"),
            (json!({"type": "feedback", "rating": 4, "comment": "ok\u{0}", "anonymous": false, "ref": "f1"}), "comment"),
        ];
        for (frame, field) in frames {
            b.send(frame.clone()).await;
            let e = b.next_of("error").await;
            assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("invalid"), Some(field)), "{backend}: {frame}");
            assert_eq!(e["message"], "Text can't contain NUL characters.", "{backend}");
            assert_eq!(e["ref"], frame["ref"]);
        }
        // Nothing was written, and the room goes on: the next thing anyone hears is this.
        b.send(json!({"type": "chat", "text": "plain text"})).await;
        let next = a.next_of("chat").await;
        assert_eq!(next["message"]["text"], "plain text", "{backend}");
        let c = open(&server, &host, &session.id).await.unwrap();
        assert_eq!(c.snapshot["notes"], notes, "{backend}: the notes are as they were");
        assert!(c.snapshot["goals"].as_array().unwrap().is_empty() && c.snapshot["tables"].as_array().unwrap().is_empty());
        assert_eq!(c.snapshot["messages"].as_array().unwrap().len(), 1, "{backend}");
    }
}
