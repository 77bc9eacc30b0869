//! Who is in the live rooms, and through which node process: each node beats
//! here every few seconds, and the connections of one that falls silent are
//! taken out of their rooms (the people it alone held leave, through the log).

use crate::room_log::write_one;
use crate::{col, Logged, Result, RoomOp, RoomWrite, Step, Store};

impl Store {
    /// Everyone in a live room now, on any node: (session, account).
    pub async fn people_in_rooms(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT session_id, account_id FROM room_people ORDER BY session_id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((col(r, "session_id")?, col(r, "account_id")?))).collect()
    }

    /// This node process is alive. False when its row was missing: first
    /// beat, or other nodes took it for dead and its people out of their rooms.
    pub async fn node_heartbeat(&self, node: &str, now_ms: i64) -> Result<bool> {
        let r = sqlx::query("UPDATE room_nodes SET seen_at = $2 WHERE node = $1").bind(node).bind(now_ms).execute(&self.pool).await?;
        if r.rows_affected() > 0 {
            return Ok(true);
        }
        sqlx::query("INSERT INTO room_nodes (node, seen_at) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET seen_at = $2")
            .bind(node)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(false)
    }

    /// Node processes not heard from since `before_ms`.
    pub async fn silent_nodes(&self, before_ms: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT node FROM room_nodes WHERE seen_at < $1").bind(before_ms).fetch_all(&self.pool).await?;
        rows.iter().map(|r| col(r, "node")).collect()
    }

    /// Takes a silent node's connections out of their rooms: the people it
    /// alone held leave, each with the event `left(account)` makes. Once,
    /// whichever node does it first.
    pub async fn forget_node(&self, node: &str, now_ms: i64, left: impl Fn(&str) -> String) -> Result<Vec<Logged>> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query("DELETE FROM room_connections WHERE node = $1 RETURNING session_id, account_id")
            .bind(node)
            .fetch_all(&mut *tx)
            .await?;
        let mut gone: Vec<(String, String)> =
            gone.iter().map(|r| Ok((col(r, "session_id")?, col(r, "account_id")?))).collect::<Result<_>>()?;
        gone.sort();
        gone.dedup();
        let mut logged = Vec::new();
        for (sid, account) in gone {
            let step = Step { op: RoomOp::Disconnect { account: account.clone(), node: node.to_string() }, event: Some(left(&account)) };
            let w = RoomWrite { session_id: sid, steps: vec![step], now_ms };
            logged.extend(write_one(&mut tx, &w).await?);
        }
        sqlx::query("DELETE FROM room_nodes WHERE node = $1").bind(node).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(logged)
    }
}
