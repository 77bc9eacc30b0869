//! Formats a community makes of its own: named agendas of phases.

use crate::schedule::{phases_json, phases_of};
use crate::{col, new_id, Result, Store, StoreError};
use cowork_core::format::Phase;
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct CustomFormat {
    pub id: String,
    pub community_id: String,
    pub name: String,
    pub description: String,
    pub phases: Vec<Phase>,
    pub updated_at: i64,
}

fn custom_format(r: &AnyRow) -> Result<CustomFormat> {
    Ok(CustomFormat {
        id: col(r, "id")?,
        community_id: col(r, "community_id")?,
        name: col(r, "name")?,
        description: col(r, "description")?,
        phases: phases_of(r)?,
        updated_at: col(r, "updated_at")?,
    })
}

impl Store {
    pub async fn create_format(
        &self,
        community_id: &str,
        name: &str,
        description: &str,
        phases: &[Phase],
        now: i64,
    ) -> Result<CustomFormat> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO formats (id, community_id, name, description, phases, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(community_id)
        .bind(name)
        .bind(description)
        .bind(phases_json(phases))
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.format(community_id, &id).await
    }

    pub async fn update_format(
        &self,
        community_id: &str,
        id: &str,
        name: &str,
        description: &str,
        phases: &[Phase],
        now: i64,
    ) -> Result<CustomFormat> {
        let r =
            sqlx::query("UPDATE formats SET name = $3, description = $4, phases = $5, updated_at = $6 WHERE id = $1 AND community_id = $2")
                .bind(id)
                .bind(community_id)
                .bind(name)
                .bind(description)
                .bind(phases_json(phases))
                .bind(now)
                .execute(&self.pool)
                .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.format(community_id, id).await
    }

    pub async fn format(&self, community_id: &str, id: &str) -> Result<CustomFormat> {
        let row =
            sqlx::query("SELECT id, community_id, name, description, phases, updated_at FROM formats WHERE id = $1 AND community_id = $2")
                .bind(id)
                .bind(community_id)
                .fetch_optional(&self.pool)
                .await?;
        custom_format(&row.ok_or(StoreError::NotFound)?)
    }

    pub async fn formats(&self, community_id: &str) -> Result<Vec<CustomFormat>> {
        let rows = sqlx::query(
            "SELECT id, community_id, name, description, phases, updated_at FROM formats WHERE community_id = $1 ORDER BY name, id",
        )
        .bind(community_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(custom_format).collect()
    }

    pub async fn delete_format(&self, community_id: &str, id: &str) -> Result<()> {
        let r =
            sqlx::query("DELETE FROM formats WHERE id = $1 AND community_id = $2").bind(id).bind(community_id).execute(&self.pool).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
