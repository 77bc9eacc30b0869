//! The secret addresses of personal calendar feeds, and what a community
//! feed's ETag is made of.

use crate::{col, Result, Store};

impl Store {
    pub async fn set_calendar_feed(&self, account_id: &str, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO calendar_feeds (account_id, token_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET token_hash = $2, created_at = $3",
        )
        .bind(account_id)
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_calendar_feed(&self, account_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM calendar_feeds WHERE account_id = $1").bind(account_id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn calendar_feed_created(&self, account_id: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn calendar_feed_account(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT account_id FROM calendar_feeds WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A cheap fingerprint of a community's sessions, so an unchanged feed can be served from memory.
    /// Every change to a session bumps its SEQUENCE, so count and sum change with any edit.
    pub async fn community_sessions_version(&self, community_id: &str) -> Result<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS latest, CAST(COALESCE(SUM(sequence), 0) AS BIGINT) AS changes FROM sessions WHERE community_id = $1",
        )
        .bind(community_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((col(&row, "n")?, col(&row, "latest")?, col(&row, "changes")?))
    }
}
