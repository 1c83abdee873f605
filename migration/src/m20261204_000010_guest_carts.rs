//! Guest carts: a cart may belong to no customer yet. `cart.customer_id`
//! becomes nullable, and a guest cart keeps the SHA-256 of its secret token
//! (`guest_token_hash`, hex), so a copy of the database opens no cart. The
//! check `cart_owner_known` keeps every cart either a customer's or a
//! guest's; the partial index `cart_guest_updated_at_idx` serves the
//! cleanup of abandoned guest carts.
//!
//! PostgreSQL alters the column in place. SQLite cannot drop a NOT NULL,
//! so the table is rebuilt the way SQLite's documentation prescribes
//! (<https://www.sqlite.org/lang_altertable.html#otheralter>): with foreign
//! keys off — otherwise dropping the old table would cascade-delete every
//! cart line, checkout and order link — on one connection, in one
//! transaction that ends with `PRAGMA foreign_key_check`. The AUTOINCREMENT
//! counter is carried over, so no cart ID is ever handed out twice.
//!
//! `down` deletes the guest carts (the old schema cannot hold them; they are
//! never checked out, so no order or checkout refers to them) and restores
//! the NOT NULL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseExecutor};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rebuilt table, renamed to `cart` once filled (SQLite).
const BUILDING: &str = "cart_building";

/// The indexes of `cart` other than the new one: a rebuild drops them with
/// the old table, so they are made again under the same names.
const INDEXES: [&str; 3] = [
    r#"CREATE INDEX "cart_created_at_id_idx" ON "cart" ("created_at", "id")"#,
    r#"CREATE INDEX "cart_customer_id_id_idx" ON "cart" ("customer_id", "id")"#,
    r#"CREATE INDEX "cart_customer_id_created_at_id_idx" ON "cart" ("customer_id", "created_at", "id")"#,
];

const GUEST_INDEX: &str = r#"CREATE INDEX "cart_guest_updated_at_idx" ON "cart" ("updated_at") WHERE "customer_id" IS NULL"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let table = cart_table(true, manager.get_database_backend());
                let mut steps = vec![table];
                steps.push(format!(
                    r#"INSERT INTO "{BUILDING}" ("id", "customer_id", "created_at", "updated_at", "checked_out_at")
                       SELECT "id", "customer_id", "created_at", "updated_at", "checked_out_at" FROM "cart""#
                ));
                steps.extend(replace_cart());
                steps.push(GUEST_INDEX.to_owned());
                rebuild_sqlite(db, steps).await
            }
            _ => {
                for step in [
                    r#"ALTER TABLE "cart" ALTER COLUMN "customer_id" DROP NOT NULL"#,
                    r#"ALTER TABLE "cart" ADD COLUMN "guest_token_hash" varchar(64) NULL"#,
                    r#"ALTER TABLE "cart" ADD CONSTRAINT "cart_owner_known" CHECK ("customer_id" IS NOT NULL OR "guest_token_hash" IS NOT NULL)"#,
                    GUEST_INDEX,
                ] {
                    db.execute_unprepared(step).await?;
                }
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                // Foreign keys are off during the rebuild, so the guest
                // carts' lines are deleted by hand, not by cascade.
                let mut steps = vec![
                    r#"DELETE FROM "cart_product" WHERE "cart_id" IN (SELECT "id" FROM "cart" WHERE "customer_id" IS NULL)"#.to_owned(),
                    cart_table(false, manager.get_database_backend()),
                    format!(
                        r#"INSERT INTO "{BUILDING}" ("id", "customer_id", "created_at", "updated_at", "checked_out_at")
                           SELECT "id", "customer_id", "created_at", "updated_at", "checked_out_at" FROM "cart"
                           WHERE "customer_id" IS NOT NULL"#
                    ),
                ];
                steps.extend(replace_cart());
                rebuild_sqlite(db, steps).await
            }
            _ => {
                for step in [
                    r#"DELETE FROM "cart" WHERE "customer_id" IS NULL"#,
                    r#"DROP INDEX "cart_guest_updated_at_idx""#,
                    r#"ALTER TABLE "cart" DROP CONSTRAINT "cart_owner_known""#,
                    r#"ALTER TABLE "cart" DROP COLUMN "guest_token_hash""#,
                    r#"ALTER TABLE "cart" ALTER COLUMN "customer_id" SET NOT NULL"#,
                ] {
                    db.execute_unprepared(step).await?;
                }
                Ok(())
            }
        }
    }
}

/// `CREATE TABLE cart_building`, shaped as `cart` after (`guests`) or
/// before this migration; the column definitions are those a fresh table
/// of that shape gets.
fn cart_table(guests: bool, backend: DatabaseBackend) -> String {
    let mut table = Table::create();
    table.table(Alias::new(BUILDING)).col(big_pk_auto(Cart::Id));
    if guests {
        table.col(big_integer_null(Cart::CustomerId));
    } else {
        table.col(big_integer(Cart::CustomerId));
    }
    table
        .col(timestamp_with_time_zone(Cart::CreatedAt))
        .col(timestamp_with_time_zone(Cart::UpdatedAt))
        .col(timestamp_with_time_zone_null(Cart::CheckedOutAt));
    if guests {
        table.col(string_len_null(Cart::GuestTokenHash, 64)).check((
            Alias::new("cart_owner_known"),
            Expr::col(Cart::CustomerId)
                .is_not_null()
                .or(Expr::col(Cart::GuestTokenHash).is_not_null()),
        ));
    }
    table.foreign_key(
        ForeignKey::create()
            .name("cart_customer_id_fkey")
            .from(Alias::new(BUILDING), Cart::CustomerId)
            .to(Customer::Table, Customer::Id)
            .on_delete(ForeignKeyAction::Cascade)
            .on_update(ForeignKeyAction::Cascade),
    );
    backend.build(&table).to_string()
}

/// Puts the filled `cart_building` in `cart`'s place, with its indexes and
/// its AUTOINCREMENT counter (dropping `cart` forgets the counter, and
/// the copy only raises the new one to the highest ID still there).
fn replace_cart() -> Vec<String> {
    let mut steps = vec![
        format!(
            r#"UPDATE "sqlite_sequence" SET "seq" = (SELECT "seq" FROM "sqlite_sequence" WHERE "name" = 'cart')
               WHERE "name" = '{BUILDING}' AND EXISTS (SELECT 1 FROM "sqlite_sequence" WHERE "name" = 'cart')"#
        ),
        format!(
            r#"INSERT INTO "sqlite_sequence" ("name", "seq")
               SELECT '{BUILDING}', "seq" FROM "sqlite_sequence" WHERE "name" = 'cart'
               AND NOT EXISTS (SELECT 1 FROM "sqlite_sequence" WHERE "name" = '{BUILDING}')"#
        ),
        r#"DROP TABLE "cart""#.to_owned(),
        format!(r#"ALTER TABLE "{BUILDING}" RENAME TO "cart""#),
    ];
    steps.extend(INDEXES.iter().map(|index| (*index).to_owned()));
    steps
}

/// Runs `steps` on one pooled SQLite connection, in one `IMMEDIATE`
/// transaction, with foreign keys off (the pragma is per connection and
/// ignored inside a transaction, hence the connection of our own). The
/// transaction commits only when `PRAGMA foreign_key_check` finds nothing
/// dangling; foreign keys are turned back on whatever happens, and a
/// connection that cannot be restored is closed rather than pooled.
async fn rebuild_sqlite(db: &DatabaseExecutor<'_>, steps: Vec<String>) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = db else {
        return Err(DbErr::Migration(
            "the SQLite cart rebuild needs the pool, not a transaction".into(),
        ));
    };
    let failed = |err: sqlx::Error| DbErr::Migration(format!("cart rebuild: {err}"));
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    sqlx::raw_sql("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(failed)?;
    let rebuilt = async {
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        for step in &steps {
            sqlx::raw_sql(AssertSqlSafe(step.as_str()))
                .execute(&mut *conn)
                .await?;
        }
        let dangling: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(&mut *conn)
            .await?;
        if let Some((table,)) = dangling.first() {
            return Err(sqlx::Error::Protocol(format!(
                "rows of {table} refer to missing rows after the rebuild"
            )));
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok(())
    }
    .await;
    if rebuilt.is_err() {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    }
    let restored = sqlx::raw_sql("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await;
    if restored.is_err() {
        conn.close_on_drop();
    }
    rebuilt.map_err(failed)?;
    restored.map(|_| ()).map_err(failed)
}

#[derive(DeriveIden)]
enum Cart {
    Id,
    CustomerId,
    CreatedAt,
    UpdatedAt,
    CheckedOutAt,
    GuestTokenHash,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}
