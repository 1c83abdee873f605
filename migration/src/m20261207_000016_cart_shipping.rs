//! Where a cart ships: a guest's `email`, the `shipping_address` (the
//! address's fields as JSON, as the API parsed them) and the chosen
//! `shipping_rate_id`. The rate is not a foreign key on purpose: a rate
//! deleted or changed by staff simply stops applying (the cart reads as
//! having none chosen), and SQLite can drop a column that no key names.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [(&str, &str); 3] = [
    ("email", "varchar(254) NULL"),
    ("shipping_address", "text NULL"),
    ("shipping_rate_id", "bigint NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, ty) in COLUMNS {
            db.execute_unprepared(&format!(r#"ALTER TABLE "cart" ADD COLUMN "{name}" {ty}"#))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in COLUMNS.iter().rev() {
            db.execute_unprepared(&format!(r#"ALTER TABLE "cart" DROP COLUMN "{name}""#))
                .await?;
        }
        Ok(())
    }
}
