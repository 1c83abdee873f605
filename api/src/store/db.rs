//! Opening the database, migrating it, and starting write transactions
//! (which only the write path, [`super::write`], does).
//!
//! Both engines are reached through one SeaORM `DatabaseConnection`. SQLite
//! needs care to be safe with concurrent writers: WAL so readers never block
//! the writer, a busy timeout so writers queue instead of failing, and every
//! write transaction started `IMMEDIATE` — a deferred transaction that reads
//! and then writes fails at once with "database is locked" when another writer
//! got there first (SQLite skips the busy handler when waiting could deadlock).

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;

/// Connects to `config.database_url` and applies pending migrations.
pub async fn connect_and_migrate(config: &Config) -> Result<DatabaseConnection, DbErr> {
    if in_memory(config) {
        // An in-memory database lives as long as its pool: one pool, and
        // nobody else to race.
        let db = connect(config).await?;
        migration::up(&db, migration_settings(config)).await?;
        return Ok(db);
    }
    {
        let (db, lock) = locked_for_migrations(config).await?;
        migration::up(&db, migration_settings(config)).await?;
        release(db, lock).await?;
    }
    // Serving starts on fresh connections. A SQLite connection keeps the
    // schema it read, and checks some statements against it before it
    // would notice a change: an `INSERT … ON CONFLICT (columns)` prepared on
    // a connection opened before a migration made that unique index fails
    // ("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE
    // constraint").
    connect(config).await
}

fn in_memory(config: &Config) -> bool {
    config.database_url.contains(":memory:") || config.database_url.contains("mode=memory")
}

/// The advisory lock PostgreSQL instances take to migrate one at a time
/// (any constant of ours: "shop" in ASCII).
const MIGRATION_LOCK: i64 = 0x73686f70;

/// What keeps other instances and processes from migrating the database
/// while this one does; released by [`release`].
enum MigrationLock {
    /// PostgreSQL: the session advisory lock of the one connection.
    Postgres,
    /// SQLite: an exclusive lock on `<database file>.migrating`, which
    /// every process that migrates takes first (held, never read: the lock
    /// lasts as long as the open file).
    Sqlite(#[allow(dead_code)] std::fs::File),
}

/// A pool of one connection for migrations, holding the migration lock.
/// Instances that start together on a new database each wait here for the
/// one before, then find its migrations applied (before, they raced and
/// all but one failed to start: "seaql_migrations already exists").
async fn locked_for_migrations(
    config: &Config,
) -> Result<(DatabaseConnection, MigrationLock), DbErr> {
    let single = Config {
        db_pool_size: 1,
        ..config.clone()
    };
    if config.database_url.starts_with("postgres") {
        let db = connect(&single).await?;
        // The wait is bounded by nothing of ours: a migration takes as
        // long as it takes, and each instance starts once it is done.
        sea_orm::ConnectionTrait::execute_unprepared(
            &db,
            &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"),
        )
        .await?;
        return Ok((db, MigrationLock::Postgres));
    }
    let path = sqlite_path(&config.database_url);
    let lock_path = format!("{path}.migrating");
    let file = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        std::io::Result::Ok(file)
    })
    .await
    .map_err(|err| DbErr::Custom(format!("waiting for the migration lock: {err}")))?
    .map_err(|err| DbErr::Custom(format!("cannot take the migration lock: {err}")))?;
    let db = connect(&single).await?;
    Ok((db, MigrationLock::Sqlite(file)))
}

/// Releases the migration lock and closes its connection.
async fn release(db: DatabaseConnection, lock: MigrationLock) -> Result<(), DbErr> {
    if let MigrationLock::Postgres = lock {
        sea_orm::ConnectionTrait::execute_unprepared(
            &db,
            &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"),
        )
        .await?;
    }
    db.close().await?;
    // The SQLite lock file's lock ends as the file is dropped here.
    drop(lock);
    Ok(())
}

/// The file of a `sqlite:` URL (`sqlite://FILE?mode=rwc`, `sqlite:FILE`).
fn sqlite_path(url: &str) -> String {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

/// What `shopgraph migrate` does.
#[derive(Debug, Clone, Copy)]
pub enum MigrationStep {
    /// Lists every migration, applied or pending.
    Status,
    /// Applies the pending migrations (the server does this at start).
    Up,
    /// Rolls back this many of the last applied migrations.
    Down(u32),
}

/// Runs `step` on `config.database_url`, with the shop's settings; returns
/// every migration's name and whether it is applied, afterwards.
pub async fn migrate(config: &Config, step: MigrationStep) -> Result<Vec<(String, bool)>, DbErr> {
    use migration::{Migrator, MigratorTrait};
    let db = match step {
        MigrationStep::Status => connect(config).await?,
        MigrationStep::Up | MigrationStep::Down(_) => {
            let (db, lock) = locked_for_migrations(config).await?;
            match step {
                MigrationStep::Down(steps) => Migrator::down(&db, Some(steps)).await?,
                _ => migration::up(&db, migration_settings(config)).await?,
            }
            release(db, lock).await?;
            connect(config).await?
        }
    };
    let migrations = Migrator::get_migration_with_status(&db).await?;
    Ok(migrations
        .iter()
        .map(|migration| {
            let applied = matches!(migration.status(), migration::MigrationStatus::Applied);
            (migration.name().to_owned(), applied)
        })
        .collect())
}

/// What the data migrations need to know of the shop, from its settings.
pub fn migration_settings(config: &Config) -> migration::Settings {
    migration::Settings {
        currency: config.currency.clone(),
    }
}

/// A pool of one connection for the probes (`/ready`, `/health`), so that a
/// pool busy serving requests is not taken for a database that is down:
/// under `bench/hostile`'s load, SQLite's `/ready` timed out waiting for a
/// pooled connection while every query was being answered.
pub async fn connect_probe(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let mut probe = config.clone();
    probe.db_pool_size = 1;
    connect(&probe).await
}

/// Connects to `config.database_url` without touching the schema.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.db_pool_size)
        // While the database is unreachable the pool keeps retrying until
        // this deadline: it bounds how long a request waits to learn that
        // the service is unavailable.
        .acquire_timeout(Duration::from_millis(config.db_acquire_timeout_ms))
        .connect_timeout(Duration::from_millis(config.db_acquire_timeout_ms))
        // Statements are logged by the `sqlx` target at debug level, so
        // `RUST_LOG=sqlx=debug` shows every SQL statement the server runs.
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Debug)
        .map_sqlx_sqlite_opts({
            let busy = Duration::from_millis(config.db_busy_timeout_ms);
            move |options| tune_sqlite(options, busy)
        });
    if config.statement_timeout_ms > 0 {
        // Every statement of every connection: a runaway query is cancelled
        // by PostgreSQL itself (SQLSTATE 57014, reported as TIMEOUT).
        let timeout = config.statement_timeout_ms.to_string();
        options.map_sqlx_postgres_opts(move |options| {
            options.options([("statement_timeout", timeout.as_str())])
        });
    }
    Database::connect(options).await
}

fn tune_sqlite(options: SqliteConnectOptions, busy: Duration) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(busy)
        .foreign_keys(true)
        // Every pooled connection keeps its own page cache (2 MB by
        // default), so ten of them held the demo database ten times over;
        // the operating system's file cache, shared by all, serves re-reads.
        .pragma("cache_size", "-512")
}

/// Begins the transaction every mutation runs in: all of a mutation's
/// statements commit together or not at all. On SQLite the write lock is taken
/// up front (see the module docs); PostgreSQL ignores the SQLite mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Runs `read` in a task of its own, so it finishes and gives its
/// connection back even if whoever awaits it stops being polled (a
/// subscription whose client stopped reading once held its connections
/// until the pool was empty).
pub async fn detached<T: Send + 'static>(
    read: impl std::future::Future<Output = Result<T, DbErr>> + Send + 'static,
) -> Result<T, DbErr> {
    tokio::spawn(read)
        .await
        .unwrap_or_else(|err| Err(DbErr::Custom(format!("a read task failed: {err}"))))
}

/// The pool's connections now: how many are open, and how many of those
/// are idle (for the metrics).
pub fn pool_now(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}
