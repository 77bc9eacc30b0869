//! Accounts, magic links, browser sessions and personal API tokens.

use crate::{col, flag, is_unique_violation, new_id, Result, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub pronouns: String,
    pub time_zone: String,
    pub time_zone_confirmed: bool,
    pub bio: String,
    pub social_preference: String,
    pub has_password: bool,
    pub is_admin: bool,
    pub created_at: i64,
}

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.display_name, a.pronouns, a.time_zone, a.time_zone_confirmed, a.bio, a.social_preference, \
     CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, a.is_admin, a.created_at";

fn account(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        pronouns: col(row, "pronouns")?,
        time_zone: col(row, "time_zone")?,
        time_zone_confirmed: flag(row, "time_zone_confirmed")?,
        bio: col(row, "bio")?,
        social_preference: col(row, "social_preference")?,
        has_password: flag(row, "has_password")?,
        is_admin: flag(row, "is_admin")?,
        created_at: col(row, "created_at")?,
    })
}

/// What a person can change about themselves.
#[derive(Debug, Clone)]
pub struct Profile {
    pub display_name: String,
    pub pronouns: String,
    pub time_zone: String,
    pub bio: String,
    pub social_preference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl Store {
    pub async fn create_account(&self, email: &str, display_name: &str, time_zone: &str, now: i64) -> Result<Account> {
        let id = new_id();
        let r = sqlx::query("INSERT INTO accounts (id, email, display_name, time_zone, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(email)
            .bind(display_name)
            .bind(time_zone)
            .bind(now)
            .execute(&self.pool)
            .await;
        match r {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Taken("email")),
            Err(e) => Err(e.into()),
            Ok(_) => self.account(&id).await,
        }
    }

    /// Returns the account for an address, creating it on first sign-in.
    /// Two concurrent first sign-ins end with one account.
    pub async fn account_for_email(&self, email: &str, display_name: &str, now: i64) -> Result<(Account, bool)> {
        if let Some(a) = self.account_by_email(email).await? {
            return Ok((a, false));
        }
        match self.create_account(email, display_name, "UTC", now).await {
            Ok(a) => Ok((a, true)),
            Err(StoreError::Taken(_)) => Ok((self.account_by_email(email).await?.ok_or(StoreError::NotFound)?, false)),
            Err(e) => Err(e),
        }
    }

    pub async fn account(&self, id: &str) -> Result<Account> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        account(&row.ok_or(StoreError::NotFound)?)
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = $1");
        let row = sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    pub async fn update_profile(&self, id: &str, p: &Profile) -> Result<Account> {
        let r = sqlx::query(
            "UPDATE accounts SET display_name = $2, pronouns = $3, time_zone = $4, time_zone_confirmed = 1, bio = $5, social_preference = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(&p.display_name)
        .bind(&p.pronouns)
        .bind(&p.time_zone)
        .bind(&p.bio)
        .bind(&p.social_preference)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.account(id).await
    }

    pub async fn password_hash(&self, email: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT id, password_hash FROM accounts WHERE email = $1 AND password_hash IS NOT NULL")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((col(&r, "id")?, col(&r, "password_hash")?))).transpose()
    }

    pub async fn set_password_hash(&self, id: &str, hash: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1").bind(id).bind(hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn set_admin(&self, id: &str, admin: bool) -> Result<()> {
        sqlx::query("UPDATE accounts SET is_admin = $2 WHERE id = $1").bind(id).bind(admin as i64).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn count_accounts(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?)
    }

    // ---- magic links

    /// Stores a sign-in link; `next` is the page to return to afterwards.
    pub async fn insert_login_link(&self, token_hash: &str, email: &str, next: &str, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO login_links (token_hash, email, next, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(email)
            .bind(next)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        // Sign-in is rare enough to sweep what has expired here rather than in a job.
        sqlx::query("DELETE FROM login_links WHERE expires_at < $1").bind(now - 86_400).execute(&self.pool).await?;
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(now - 2 * 86_400).execute(&self.pool).await?;
        Ok(())
    }

    /// Marks a link used and returns its address and next page, if it was
    /// unused and unexpired. One statement, so two clicks racing each other
    /// cannot both succeed.
    pub async fn consume_login_link(&self, token_hash: &str, now: i64) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "UPDATE login_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, next",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((col(&r, "email")?, col(&r, "next")?))).transpose()
    }

    /// Whether a link mailed to the address can still be used.
    pub async fn has_live_login_link(&self, email: &str, now: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_links WHERE expires_at > $2 AND email = $1 AND used_at IS NULL")
            .bind(email)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// The address a link signs in, if it can still be used (for the confirmation page).
    pub async fn login_link_email(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT email FROM login_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    // ---- browser sessions

    pub async fn insert_web_session(&self, token_hash: &str, account_id: &str, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO web_sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn web_session_account(&self, token_hash: &str, now: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > $2");
        let row = sqlx::query(&sql).bind(token_hash).bind(now).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    pub async fn delete_web_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Signs a person out everywhere but here, e.g. after setting a password.
    pub async fn delete_other_web_sessions(&self, account_id: &str, keep_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id)
            .bind(keep_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- personal API tokens

    pub async fn insert_api_token(&self, account_id: &str, name: &str, token_hash: &str, now: i64) -> Result<ApiToken> {
        let id = new_id();
        sqlx::query("INSERT INTO api_tokens (id, account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(account_id)
            .bind(name)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(ApiToken { id, name: name.to_string(), created_at: now, last_used_at: None })
    }

    pub async fn api_tokens(&self, account_id: &str) -> Result<Vec<ApiToken>> {
        let rows =
            sqlx::query("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE account_id = $1 ORDER BY created_at DESC, id")
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: col(r, "id")?,
                    name: col(r, "name")?,
                    created_at: col(r, "created_at")?,
                    last_used_at: col(r, "last_used_at")?,
                })
            })
            .collect()
    }

    pub async fn delete_api_token(&self, account_id: &str, id: &str) -> Result<()> {
        let r =
            sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND account_id = $2").bind(id).bind(account_id).execute(&self.pool).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn api_token_account(&self, token_hash: &str, now: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1");
        let row = sqlx::query(&sql).bind(token_hash).fetch_optional(&self.pool).await?;
        if row.is_some() {
            // Minute resolution is enough for "last used" and spares a write per request.
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
                .bind(token_hash)
                .bind(now)
                .bind(now - 60)
                .execute(&self.pool)
                .await?;
        }
        row.as_ref().map(account).transpose()
    }
}
