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

#[tokio::test]
async fn the_timer_remembers_when_steps_really_began_and_a_skip_can_be_undone() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "undo").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    // Started early, then the welcome skipped: each step began when the host acted.
    a.send(json!({"type": "timer", "action": "start"})).await;
    let started = b.next_of("timer").await;
    a.send(json!({"type": "timer", "action": "skip"})).await;
    let skipped = b.next_of("timer").await;
    let begun: Vec<i64> = skipped["timer"]["started_ms"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(begun.len(), 2, "{skipped}");
    assert!(begun[0] <= started["at_ms"].as_i64().unwrap() && begun[0] < session.starts_at * 1000, "the welcome began at the early start");
    assert!(begun[0] <= begun[1] && begun[1] <= skipped["at_ms"].as_i64().unwrap(), "focus began at the skip");
    assert_eq!(skipped["undo_until_ms"].as_i64().unwrap(), begun[1] + 10_000, "the host may take it back for 10 s");
    // Undone: everyone is back in the welcome, and the focus has not begun.
    a.send(json!({"type": "timer", "action": "undo"})).await;
    let undone = b.next_of("timer").await;
    assert_eq!((undone["action"].as_str(), undone["by"].as_str()), (Some("undo"), Some("host")));
    assert_eq!(undone["timer"]["phase"], 0);
    assert_eq!(undone["timer"]["started_ms"], json!([begun[0]]));
    // Once only: nothing left to undo.
    a.send(json!({"type": "timer", "action": "undo", "ref": "u1"})).await;
    let e = a.next_of("error").await;
    assert_eq!((e["code"].as_str(), e["field"].as_str(), e["ref"].as_str()), (Some("invalid"), Some("action"), Some("u1")));
    // Skipped, then paused: the undo would overwrite the pause, so it is refused.
    a.send(json!({"type": "timer", "action": "skip"})).await;
    b.next_of("timer").await;
    a.send(json!({"type": "timer", "action": "pause"})).await;
    b.next_of("timer").await;
    a.send(json!({"type": "timer", "action": "undo"})).await;
    assert_eq!(a.next_of("error").await["field"], "action");
    // Nor may a member undo.
    b.send(json!({"type": "timer", "action": "undo"})).await;
    assert_eq!(b.next_of("error").await["code"], "forbidden");
    // An extension says by how much.
    a.send(json!({"type": "timer", "action": "extend", "minutes": 5})).await;
    let extended = b.next_of("timer").await;
    assert_eq!((extended["action"].as_str(), extended["minutes"].as_i64()), (Some("extend"), Some(5)));
    // When steps began outlives the room being empty.
    let kept = extended["timer"]["started_ms"].clone();
    drop(a);
    drop(b);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let c = open(&server, &member, &session.id).await.unwrap();
    assert_eq!(c.snapshot["timer"]["started_ms"], kept);
    assert_eq!(kept.as_array().unwrap().len(), 2);
}
