//! Ordered, embedded migrations. Each runs once, inside a transaction; on
//! PostgreSQL an advisory lock keeps two nodes from migrating at once.

use crate::{Backend, Result};
use sqlx::{AnyPool, Executor};

/// Append only: never edit a migration that has shipped.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_accounts_and_communities.sql")),
    (2, include_str!("../migrations/0002_schedule.sql")),
    (3, include_str!("../migrations/0003_live_room.sql")),
    (4, include_str!("../migrations/0004_cancellations_arrivals_jobs.sql")),
    (5, include_str!("../migrations/0005_mail_and_notification_choices.sql")),
    (6, include_str!("../migrations/0006_web_push.sql")),
    (7, include_str!("../migrations/0007_webhooks.sql")),
    (8, include_str!("../migrations/0008_digests.sql")),
    (9, include_str!("../migrations/0009_room_log.sql")),
    (10, include_str!("../migrations/0010_places.sql")),
    (11, include_str!("../migrations/0011_in_person.sql")),
    (12, include_str!("../migrations/0012_partners.sql")),
    (13, include_str!("../migrations/0013_partner_sessions.sql")),
];

pub async fn apply(pool: &AnyPool, backend: Backend) -> Result<usize> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_lock(727001)").await?;
    }
    let result = apply_locked(&mut conn).await;
    if backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_unlock(727001)").await?;
    }
    result
}

async fn apply_locked(conn: &mut sqlx::pool::PoolConnection<sqlx::Any>) -> Result<usize> {
    conn.execute("CREATE TABLE IF NOT EXISTS cowork_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)").await?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM cowork_migrations WHERE version = $1")
            .bind(*version)
            .fetch_optional(&mut **conn)
            .await?;
        if done.is_some() {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        for stmt in statements(sql) {
            tx.execute(stmt.as_str()).await?;
        }
        sqlx::query("INSERT INTO cowork_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

/// Rewrites legacy zone names (Asia/Calcutta, US/Eastern) to their canonical
/// ones wherever a zone is stored. It runs at every migration rather than once,
/// since a newer time zone database may rename more zones; it touches only the
/// rows that need it, so a second run changes nothing.
pub async fn canonical_zones(pool: &AnyPool) -> Result<u64> {
    const SELECT: [&str; 4] = [
        "SELECT DISTINCT time_zone FROM accounts",
        "SELECT DISTINCT time_zone FROM communities",
        "SELECT DISTINCT time_zone FROM series",
        "SELECT DISTINCT time_zone FROM sessions",
    ];
    const UPDATE: [&str; 4] = [
        "UPDATE accounts SET time_zone = $1 WHERE time_zone = $2",
        "UPDATE communities SET time_zone = $1 WHERE time_zone = $2",
        "UPDATE series SET time_zone = $1 WHERE time_zone = $2",
        "UPDATE sessions SET time_zone = $1 WHERE time_zone = $2",
    ];
    let mut changed = 0;
    for (select, update) in SELECT.iter().zip(UPDATE) {
        let names: Vec<String> = sqlx::query_scalar(select).fetch_all(pool).await?;
        for legacy in names {
            if let Some(canonical) = cowork_core::zones::canonical(&legacy).filter(|c| *c != legacy) {
                changed += sqlx::query(update).bind(canonical).bind(&legacy).execute(pool).await?.rows_affected();
            }
        }
    }
    if changed > 0 {
        tracing::info!(changed, "legacy time zone names made canonical");
    }
    Ok(changed)
}

/// Splits a migration into statements. Comments go first, since they may
/// hold semicolons; our migrations put no `--` or `;` inside string literals.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    without_comments.split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_with_semicolons_do_not_split_statements() {
        let s = super::statements("CREATE TABLE a (x TEXT -- one; two\n);\n-- done;\nCREATE INDEX i ON a (x);");
        assert_eq!(s, vec!["CREATE TABLE a (x TEXT \n)", "CREATE INDEX i ON a (x)"]);
    }
}
