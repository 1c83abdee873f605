//! The migrations, run the way the `migration` CLI runs them.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

use crate::support::{TestDatabase, engine_tests};

async fn table_exists(db: &impl ConnectionTrait, table: &str) -> bool {
    db.execute_unprepared(&format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .await
        .is_ok()
}

/// How many migrations `down` undoes to go back to the first `applied`.
fn steps_above(applied: usize) -> u32 {
    u32::try_from(Migrator::migrations().len() - applied).unwrap()
}

engine_tests! {
    async fn migrations_go_up_down_to_zero_and_up_again(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        let total = Migrator::migrations().len();
        assert_eq!(Migrator::get_pending_migrations(&db).await.unwrap().len(), total);

        Migrator::up(&db, None).await.unwrap();
        assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());
        for table in ["customer", "product", "product_variant", "cart", "cart_line"] {
            assert!(table_exists(&db, table).await, "{table} exists after up");
        }

        Migrator::down(&db, None).await.unwrap();
        assert_eq!(Migrator::get_pending_migrations(&db).await.unwrap().len(), total);
        for table in ["customer", "product", "product_variant", "cart", "cart_line", "cart_product"] {
            assert!(!table_exists(&db, table).await, "{table} is gone after down");
        }

        Migrator::up(&db, None).await.unwrap();
        assert!(table_exists(&db, "cart_line").await);
        db.close().await.unwrap();
    }

    async fn every_ordering_has_its_index(app) {
        let db = app.db().await;
        let sql = match app.engine {
            crate::support::Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index'",
            crate::support::Engine::Postgres => "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'",
        };
        let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        let names: Vec<String> = rows.iter().map(|row| row.try_get("", "name").unwrap()).collect();
        for index in [
            "product_name_id_idx", "product_price_id_idx", "product_stock_id_idx", "product_created_at_id_idx",
            "customer_name_id_idx", "customer_email_id_idx", "customer_created_at_id_idx",
            "cart_created_at_id_idx", "cart_customer_id_id_idx", "cart_customer_id_created_at_id_idx",
        ] {
            assert!(names.iter().any(|name| name == index), "{index} missing from {names:?}");
        }
        assert!(!names.iter().any(|name| name == "cart_customer_id_idx"), "replaced by cart_customer_id_id_idx");
    }

    async fn the_database_enforces_its_checks(app) {
        let db = app.db().await;
        let now = "'2026-01-01T00:00:00Z'";
        let insert = |price: i64, stock: i32| format!(
            "INSERT INTO product (name, price, stock, created_at, updated_at) VALUES ('p', {price}, {stock}, {now}, {now})"
        );
        assert!(db.execute_unprepared(&insert(100, 1)).await.is_ok());
        assert!(db.execute_unprepared(&insert(-1, 1)).await.is_err(), "price >= 0");
        assert!(db.execute_unprepared(&insert(1, -1)).await.is_err(), "stock >= 0");
        db.execute_unprepared(&format!("INSERT INTO customer (email, name, created_at, updated_at) VALUES ('a@b.co', 'A', {now}, {now})")).await.unwrap();
        db.execute_unprepared(&format!("INSERT INTO cart (customer_id, created_at, updated_at) VALUES (1, {now}, {now})")).await.unwrap();
        let variant = |price: i64, stock: i32, key: &str, sku: &str| format!(
            "INSERT INTO product_variant (product_id, title, sku, price, stock, option_key, created_at, updated_at) VALUES (1, 'T', {sku}, {price}, {stock}, '{key}', {now}, {now})"
        );
        assert!(db.execute_unprepared(&variant(100, 1, "", "'A-1'")).await.is_ok());
        assert!(db.execute_unprepared(&variant(-1, 1, "2", "NULL")).await.is_err(), "variant price >= 0");
        assert!(db.execute_unprepared(&variant(1, -1, "3", "NULL")).await.is_err(), "variant stock >= 0");
        assert!(db.execute_unprepared(&variant(1, 1, "", "NULL")).await.is_err(), "one variant per combination");
        assert!(db.execute_unprepared(&variant(1, 1, "4", "'A-1'")).await.is_err(), "unique SKUs");
        assert!(db.execute_unprepared(&variant(1, 1, "5", "NULL")).await.is_ok());
        assert!(db.execute_unprepared(&variant(1, 1, "6", "NULL")).await.is_ok(), "many variants without SKU");
        assert!(db.execute_unprepared("INSERT INTO cart_line (cart_id, variant_id, quantity) VALUES (1, 1, 0)").await.is_err(), "quantity > 0");
        assert!(db.execute_unprepared("INSERT INTO cart_line (cart_id, variant_id, quantity) VALUES (1, 999, 1)").await.is_err(), "variant must exist");
        assert!(db.execute_unprepared("INSERT INTO cart_line (cart_id, variant_id, quantity) VALUES (1, 1, 1)").await.is_ok());
        assert!(db.execute_unprepared("INSERT INTO cart_line (cart_id, variant_id, quantity) VALUES (1, 1, 1)").await.is_err(), "one line per variant");
        assert!(db.execute_unprepared(&format!("INSERT INTO customer (email, name, created_at, updated_at) VALUES ('a@b.co', 'B', {now}, {now})")).await.is_err(), "unique email");
    }
}

engine_tests! {
    /// Scoping idempotency keys per customer keeps every key with its
    /// cart's customer; going back keeps the earliest use of a shared key;
    /// and up again restores the rest.
    async fn idempotency_keys_move_to_their_customer_and_back(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        // Up to migration 8, which scopes the keys.
        let before = 7;
        Migrator::up(&db, Some(u32::try_from(before).unwrap())).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        let later = "'2026-01-02T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now}), (2, 'b@example.com', 'B', {now}, {now})"),
            format!("INSERT INTO cart (id, customer_id, created_at, updated_at, checked_out_at) VALUES (10, 1, {now}, {now}, {now}), (20, 2, {now}, {now}, {now}), (21, 2, {now}, {now}, {later})"),
            format!("INSERT INTO checkout (idempotency_key, cart_id, created_at) VALUES ('k1', 10, {now}), ('k2', 20, {now})"),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let keys = |db: &sea_orm::DatabaseConnection, columns: &'static str| {
            let db = db.clone();
            async move {
                let sql = format!("SELECT {columns} FROM checkout ORDER BY idempotency_key, cart_id");
                let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                rows.iter().map(|row| {
                    let key: String = row.try_get("", "idempotency_key").unwrap();
                    let cart: i64 = row.try_get("", "cart_id").unwrap();
                    let customer: Option<i64> = row.try_get("", "customer_id").ok();
                    (key, cart, customer)
                }).collect::<Vec<_>>()
            }
        };
        Migrator::up(&db, None).await.unwrap();
        let with_customer = "idempotency_key, cart_id, customer_id";
        assert_eq!(keys(&db, with_customer).await, [("k1".to_owned(), 10, Some(1)), ("k2".to_owned(), 20, Some(2))]);
        // Customer 2 uses "k1" too, later: allowed now.
        db.execute_unprepared(&format!("INSERT INTO checkout (customer_id, idempotency_key, cart_id, created_at) VALUES (2, 'k1', 21, {later})")).await.unwrap();

        // Back before 8 (the later ones first).
        Migrator::down(&db, Some(steps_above(before))).await.unwrap();
        let without = "idempotency_key, cart_id";
        assert_eq!(keys(&db, without).await, [("k1".to_owned(), 10, None), ("k2".to_owned(), 20, None)], "the earliest use of k1 keeps it");
        assert!(db.execute_unprepared(&format!("INSERT INTO checkout (idempotency_key, cart_id, created_at) VALUES ('k1', 21, {now})")).await.is_err(), "keys are global again");

        Migrator::up(&db, None).await.unwrap();
        assert_eq!(keys(&db, with_customer).await, [("k1".to_owned(), 10, Some(1)), ("k2".to_owned(), 20, Some(2))]);
        // The cascade from carts still holds.
        db.execute_unprepared("DELETE FROM cart WHERE id = 20").await.unwrap();
        assert_eq!(keys(&db, with_customer).await, [("k1".to_owned(), 10, Some(1))]);
        db.close().await.unwrap();
    }
}

engine_tests! {
    /// Migration 9 turns every checked-out cart into an order, with the
    /// prices of the moment; down drops the orders and leaves the carts;
    /// up again makes the same orders.
    async fn checked_out_carts_become_orders_and_back(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(8)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        let later = "'2026-01-02T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})"),
            format!("INSERT INTO product (id, name, price, stock, created_at, updated_at) VALUES (1, 'Tea', 450, 5, {now}, {now}), (2, 'Pot', 3000, 5, {now}, {now})"),
            // Checked out later first, so orders follow checkout time, not cart id.
            format!("INSERT INTO cart (id, customer_id, created_at, updated_at, checked_out_at) VALUES (10, 1, {now}, {now}, {later}), (11, 1, {now}, {now}, {now}), (12, 1, {now}, {now}, NULL)"),
            "INSERT INTO cart_product (cart_id, product_id, quantity) VALUES (10, 1, 2), (10, 2, 1), (11, 2, 3), (12, 1, 9)".to_owned(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let orders = |db: &sea_orm::DatabaseConnection| {
            let db = db.clone();
            async move {
                let sql = r#"SELECT o.id, o.cart_id, o.email, o.status, o.subtotal, o.total_quantity,
                                    l.product_name, l.unit_price, CAST(l.quantity AS BIGINT) AS quantity, l.line_total
                             FROM "order" o JOIN order_line l ON l.order_id = o.id ORDER BY o.id, l.id"#;
                let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                rows.iter().map(|row| {
                    let get = |column: &str| -> i64 { row.try_get("", column).unwrap() };
                    let text = |column: &str| -> String { row.try_get("", column).unwrap() };
                    (get("id"), get("cart_id"), text("email"), text("status"), get("subtotal"), get("total_quantity"),
                     text("product_name"), get("unit_price"), get("quantity"), get("line_total"))
                }).collect::<Vec<_>>()
            }
        };
        let currencies = |db: &sea_orm::DatabaseConnection| {
            let db = db.clone();
            async move {
                let sql = r#"SELECT DISTINCT currency FROM "order""#;
                let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                rows.iter().map(|row| row.try_get::<String>("", "currency").unwrap()).collect::<Vec<_>>()
            }
        };
        Migrator::up(&db, None).await.unwrap();
        let expected = vec![
            (1, 11, "a@example.com".to_owned(), "PLACED".to_owned(), 9000, 3, "Pot".to_owned(), 3000, 3, 9000),
            (2, 10, "a@example.com".to_owned(), "PLACED".to_owned(), 3900, 3, "Tea".to_owned(), 450, 2, 900),
            (2, 10, "a@example.com".to_owned(), "PLACED".to_owned(), 3900, 3, "Pot".to_owned(), 3000, 1, 3000),
        ];
        assert_eq!(orders(&db).await, expected, "the open cart 12 placed nothing");
        assert_eq!(currencies(&db).await, ["USD"], "without settings, the default currency");

        Migrator::down(&db, Some(steps_above(8))).await.unwrap();
        assert!(!table_exists(&db, r#""order""#).await);
        assert!(!table_exists(&db, "order_line").await);
        let carts = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM cart WHERE checked_out_at IS NOT NULL")).await.unwrap().unwrap();
        assert_eq!(carts.try_get::<i64>("", "n").unwrap(), 2, "the carts keep their checkouts");

        // The server passes its --currency; nothing is read from the environment.
        let settings = migration::Settings { currency: "EUR".to_owned() };
        migration::up(&db, settings).await.unwrap();
        assert_eq!(orders(&db).await, expected);
        assert_eq!(currencies(&db).await, ["EUR"], "the server's currency");
        db.close().await.unwrap();
    }
}

engine_tests! {
    /// Migration 10 lets a cart belong to no customer (guest carts). On
    /// SQLite it rebuilds `cart`: every line, checkout and order link stays
    /// where it was, and no cart ID is handed out twice. Down deletes the
    /// guest carts and their lines, and keeps the rest.
    async fn guest_carts_arrive_without_losing_a_line_and_go_back(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(9)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})"),
            format!("INSERT INTO product (id, name, price, stock, created_at, updated_at) VALUES (1, 'Tea', 450, 5, {now}, {now})"),
            format!("INSERT INTO cart (id, customer_id, created_at, updated_at, checked_out_at) VALUES (10, 1, {now}, {now}, NULL), (11, 1, {now}, {now}, {now}), (12, 1, {now}, {now}, NULL)"),
            "INSERT INTO cart_product (cart_id, product_id, quantity) VALUES (10, 1, 2), (11, 1, 3)".to_owned(),
            format!("INSERT INTO checkout (customer_id, idempotency_key, cart_id, created_at) VALUES (1, 'k', 11, {now})"),
            format!(r#"INSERT INTO "order" (customer_id, email, currency, status, placed_at, subtotal, total_quantity, cart_id) VALUES (1, 'a@example.com', 'USD', 'PLACED', {now}, 1350, 3, 11)"#),
            // The newest cart is gone: its ID must not come back.
            "DELETE FROM cart WHERE id = 12".to_owned(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let count = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
                row.try_get::<i64>("", "n").unwrap()
            }
        };
        let kept = || async {
            (
                count("SELECT COUNT(*) AS n FROM cart_product WHERE cart_id IN (10, 11)").await,
                count("SELECT COUNT(*) AS n FROM checkout WHERE cart_id = 11").await,
                count(r#"SELECT COUNT(*) AS n FROM "order" WHERE cart_id = 11"#).await,
            )
        };

        // Migration 10 alone, so that `down(1)` below undoes it.
        Migrator::up(&db, Some(1)).await.unwrap();
        assert_eq!(kept().await, (2, 1, 1), "lines, checkout and order link survive the rebuild");
        // SQLite picks the ID (PostgreSQL's sequence never saw the explicit IDs).
        let id = if app.engine == crate::support::Engine::Sqlite { "NULL" } else { "13" };
        let guest = format!("INSERT INTO cart (id, customer_id, guest_token_hash, created_at, updated_at) VALUES ({id}, NULL, 'abc', {now}, {now})");
        db.execute_unprepared(&guest).await.unwrap();
        let newest = count("SELECT MAX(id) AS n FROM cart").await;
        assert_eq!(newest, 13, "the deleted cart 12 keeps its ID to itself");
        let orphan = format!("INSERT INTO cart (customer_id, guest_token_hash, created_at, updated_at) VALUES (NULL, NULL, {now}, {now})");
        assert!(db.execute_unprepared(&orphan).await.is_err(), "a cart is a customer's or a guest's");
        db.execute_unprepared(&format!("INSERT INTO cart_product (cart_id, product_id, quantity) VALUES ({newest}, 1, 1)")).await.unwrap();
        // Foreign keys are back on: a line of a missing cart is refused.
        assert!(db.execute_unprepared("INSERT INTO cart_product (cart_id, product_id, quantity) VALUES (999, 1, 1)").await.is_err());

        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(count("SELECT COUNT(*) AS n FROM cart WHERE customer_id IS NULL").await, 0);
        assert_eq!(count("SELECT COUNT(*) AS n FROM cart_product").await, 2, "the guest's line went with its cart");
        assert_eq!(kept().await, (2, 1, 1));
        assert!(db.execute_unprepared(&format!("INSERT INTO cart (created_at, updated_at) VALUES ({now}, {now})")).await.is_err(), "customer_id is required again");

        // Up to the last migration before variants, which keeps `cart_product`.
        Migrator::up(&db, Some(7)).await.unwrap();
        assert_eq!(kept().await, (2, 1, 1));
        // The cascade from carts still holds after two rebuilds.
        db.execute_unprepared("DELETE FROM cart WHERE id = 10").await.unwrap();
        assert_eq!(count("SELECT COUNT(*) AS n FROM cart_product WHERE cart_id = 10").await, 0);
        db.close().await.unwrap();
    }

    /// Migration 12 gives every product a unique handle made from its
    /// name, in product order; `down` takes handles, images and collections
    /// away again, and `up` brings the same handles back.
    async fn products_get_handles_and_lose_them_going_down(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(11)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        db.execute_unprepared(&format!("INSERT INTO product (id, name, price, stock, created_at, updated_at) VALUES \
            (1, 'Green Tea', 450, 5, {now}, {now}), (2, 'green tea!', 450, 5, {now}, {now}), \
            (3, 'Café Crème', 300, 1, {now}, {now}), (4, '???', 100, 1, {now}, {now}), (5, 'Green tea', 1, 1, {now}, {now})")).await.unwrap();
        let handles = || {
            let db = db.clone();
            async move {
                let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT handle FROM product ORDER BY id")).await.unwrap();
                rows.iter().map(|row| row.try_get::<String>("", "handle").unwrap()).collect::<Vec<_>>()
            }
        };
        let expected = ["green-tea", "green-tea-2", "cafe-creme", "product", "green-tea-3"];

        Migrator::up(&db, Some(1)).await.unwrap();
        assert_eq!(handles().await, expected);
        assert!(db.execute_unprepared("UPDATE product SET handle = 'green-tea' WHERE id = 2").await.is_err(), "handles are unique");
        for table in ["image", "collection", "collection_product"] {
            assert!(table_exists(&db, table).await, "{table}");
        }
        db.execute_unprepared(&format!("INSERT INTO collection (id, handle, title, created_at, updated_at) VALUES (1, 'tea', 'Tea', {now}, {now})")).await.unwrap();
        db.execute_unprepared("INSERT INTO collection_product (collection_id, product_id) VALUES (1, 1)").await.unwrap();
        db.execute_unprepared("INSERT INTO image (product_id, position, url) VALUES (1, 0, 'https://cdn.example.com/tea.jpg')").await.unwrap();
        assert!(db.execute_unprepared("INSERT INTO image (position, url) VALUES (0, 'https://cdn.example.com/orphan.jpg')").await.is_err(), "an image is someone's");

        Migrator::down(&db, Some(1)).await.unwrap();
        assert!(db.execute_unprepared("SELECT handle FROM product").await.is_err(), "the column is gone");
        for table in ["image", "collection", "collection_product"] {
            assert!(!table_exists(&db, table).await, "{table} is gone");
        }
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(handles().await, expected, "the same handles again");
        db.close().await.unwrap();
    }

    /// Migration 13 makes the address book; the database keeps one default
    /// per customer and deletes a customer's addresses with them; `down`
    /// drops it and `up` makes it again.
    async fn address_books_arrive_and_go(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(12)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        db.execute_unprepared(&format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})")).await.unwrap();
        Migrator::up(&db, Some(1)).await.unwrap();
        let address = |default: bool| format!("INSERT INTO customer_address (customer_id, is_default, address1, city, country_code, created_at, updated_at) VALUES (1, {default}, '1 Main St', 'Paris', 'FR', {now}, {now})");
        db.execute_unprepared(&address(true)).await.unwrap();
        db.execute_unprepared(&address(false)).await.unwrap();
        assert!(db.execute_unprepared(&address(true)).await.is_err(), "one default per customer");
        db.execute_unprepared("DELETE FROM customer WHERE id = 1").await.unwrap();
        assert!(table_exists(&db, "customer_address").await);
        let left = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM customer_address")).await.unwrap().unwrap();
        assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0, "gone with their customer");
        Migrator::down(&db, Some(1)).await.unwrap();
        assert!(!table_exists(&db, "customer_address").await);
        Migrator::up(&db, None).await.unwrap();
        assert!(table_exists(&db, "customer_address").await);
        db.close().await.unwrap();
    }

    /// Migration 14 makes shipping zones (a country in one zone at most)
    /// and tax rates (one per country and province); `down` drops them.
    async fn shipping_zones_and_tax_rates_arrive_and_go(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(13)).await.unwrap();
        Migrator::up(&db, Some(1)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        db.execute_unprepared(&format!("INSERT INTO shipping_zone (id, name, created_at, updated_at) VALUES (1, 'A', {now}, {now}), (2, 'B', {now}, {now})")).await.unwrap();
        db.execute_unprepared("INSERT INTO shipping_zone_country (country_code, zone_id) VALUES ('FR', 1)").await.unwrap();
        assert!(db.execute_unprepared("INSERT INTO shipping_zone_country (country_code, zone_id) VALUES ('FR', 2)").await.is_err(), "a country is in one zone");
        db.execute_unprepared("INSERT INTO shipping_rate (zone_id, position, title, price, min_subtotal, max_subtotal) VALUES (1, 0, 'Post', 900, 0, 5000)").await.unwrap();
        assert!(db.execute_unprepared("INSERT INTO shipping_rate (zone_id, position, title, price, min_subtotal, max_subtotal) VALUES (1, 1, 'Odd', 900, 5000, 10)").await.is_err(), "bounds in order");
        let tax = |province: &str, ppm: i64| format!("INSERT INTO tax_rate (country_code, province_code, rate_ppm, title, updated_at) VALUES ('US', '{province}', {ppm}, 'Tax', {now})");
        db.execute_unprepared(&tax("", 0)).await.unwrap();
        db.execute_unprepared(&tax("IL", 62_500)).await.unwrap();
        assert!(db.execute_unprepared(&tax("", 10)).await.is_err(), "one rate per place");
        assert!(db.execute_unprepared(&tax("CA", 1_000_001)).await.is_err(), "at most 100 %");
        db.execute_unprepared("DELETE FROM shipping_zone WHERE id = 1").await.unwrap();
        let rates = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM shipping_rate")).await.unwrap().unwrap();
        assert_eq!(rates.try_get::<i64>("", "n").unwrap(), 0, "rates go with their zone");
        Migrator::down(&db, Some(1)).await.unwrap();
        for table in ["shipping_zone", "shipping_zone_country", "shipping_rate", "tax_rate"] {
            assert!(!table_exists(&db, table).await, "{table}");
        }
        Migrator::up(&db, None).await.unwrap();
        assert!(table_exists(&db, "tax_rate").await);
        db.close().await.unwrap();
    }

    /// Migration 15 makes discount codes: one per code ignoring case, a
    /// value that fits the kind, uses never past the limit; `down` drops them.
    async fn discount_codes_arrive_and_go(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(14)).await.unwrap();
        Migrator::up(&db, Some(1)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        let code = |code: &str, kind: &str, ppm: &str, amount: &str, limit: &str, used: i32| format!(
            "INSERT INTO discount_code (code, code_key, kind, percent_ppm, amount, usage_limit, used_count, once_per_customer, created_at, updated_at) \
             VALUES ('{code}', lower('{code}'), '{kind}', {ppm}, {amount}, {limit}, {used}, false, {now}, {now})");
        db.execute_unprepared(&code("TEN", "PERCENTAGE", "100000", "NULL", "5", 5)).await.unwrap();
        assert!(db.execute_unprepared(&code("ten", "FREE_SHIPPING", "NULL", "NULL", "NULL", 0)).await.is_err(), "unique ignoring case");
        assert!(db.execute_unprepared(&code("A1", "PERCENTAGE", "NULL", "500", "NULL", 0)).await.is_err(), "a percentage needs its percent");
        assert!(db.execute_unprepared(&code("A2", "FIXED_AMOUNT", "NULL", "0", "NULL", 0)).await.is_err(), "an amount off is positive");
        assert!(db.execute_unprepared(&code("A3", "FREE_SHIPPING", "NULL", "NULL", "2", 3)).await.is_err(), "uses never pass the limit");
        assert!(db.execute_unprepared("UPDATE discount_code SET used_count = used_count + 1 WHERE code = 'TEN'").await.is_err(), "the database refuses a sixth use");
        Migrator::down(&db, Some(1)).await.unwrap();
        assert!(!table_exists(&db, "discount_code").await);
        assert!(!table_exists(&db, "discount_code_collection").await);
        Migrator::up(&db, None).await.unwrap();
        assert!(table_exists(&db, "discount_code").await);
        db.close().await.unwrap();
    }

    /// Migration 17 gives every product one "Default Title" variant with
    /// its price and stock, and points cart lines and order lines at it;
    /// `down` refuses while a product has two variants (saying so), and
    /// otherwise brings the lines back to their products; `up` again
    /// restores them.
    async fn products_become_variants_and_back(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(16)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})"),
            format!("INSERT INTO product (id, name, handle, price, stock, created_at, updated_at) VALUES (1, 'Tea', 'tea', 450, 5, {now}, {now}), (2, 'Pot', 'pot', 3000, 0, {now}, {now})"),
            format!("INSERT INTO cart (id, customer_id, created_at, updated_at) VALUES (10, 1, {now}, {now}), (11, 1, {now}, {now})"),
            "INSERT INTO cart_product (cart_id, product_id, quantity) VALUES (10, 1, 2), (10, 2, 1), (11, 2, 3)".to_owned(),
            format!(r#"INSERT INTO "order" (id, customer_id, email, currency, status, placed_at, subtotal, total_quantity) VALUES (5, 1, 'a@example.com', 'USD', 'PLACED', {now}, 900, 2)"#),
            "INSERT INTO order_line (order_id, product_id, product_name, unit_price, quantity, line_total) VALUES (5, 1, 'Tea', 450, 2, 900)".to_owned(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let rows = |sql: &'static str| {
            let db = db.clone();
            async move {
                let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                rows.iter().map(|row| (0..3).map(|i| {
                    // PostgreSQL's `integer` columns read as i32 only.
                    row.try_get_by_index::<Option<i64>>(i).ok().flatten()
                        .or_else(|| row.try_get_by_index::<Option<i32>>(i).ok().flatten().map(i64::from))
                        .unwrap_or(-1)
                }).collect::<Vec<_>>()).collect::<Vec<_>>()
            }
        };
        let lines_by_product = || rows("SELECT cart_line.cart_id, product_variant.product_id, cart_line.quantity FROM cart_line JOIN product_variant ON product_variant.id = cart_line.variant_id ORDER BY 1, 2");

        Migrator::up(&db, Some(1)).await.unwrap();
        assert_eq!(
            rows("SELECT product_id, price, stock FROM product_variant ORDER BY product_id").await,
            [vec![1, 450, 5], vec![2, 3000, 0]],
            "one variant per product, with its price and stock"
        );
        let titles = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT title, option_key FROM product_variant")).await.unwrap();
        for row in titles {
            assert_eq!(row.try_get::<String>("", "title").unwrap(), "Default Title");
            assert_eq!(row.try_get::<String>("", "option_key").unwrap(), "");
        }
        assert_eq!(lines_by_product().await, [vec![10, 1, 2], vec![10, 2, 1], vec![11, 2, 3]], "every cart line kept");
        assert_eq!(
            rows("SELECT order_line.quantity, product_variant.product_id, order_line.unit_price FROM order_line JOIN product_variant ON product_variant.id = order_line.variant_id").await,
            [vec![2, 1, 450]],
            "the order line points at its variant"
        );
        assert!(!table_exists(&db, "cart_product").await);

        // A second variant of the tea: going down would lose it.
        db.execute_unprepared(&format!("INSERT INTO product_variant (product_id, title, price, stock, option_key, created_at, updated_at) VALUES (1, 'Loose', 500, 1, '9', {now}, {now})")).await.unwrap();
        let refused = Migrator::down(&db, Some(1)).await.expect_err("down refuses");
        assert!(refused.to_string().contains("more than one variant"), "{refused}");
        assert!(table_exists(&db, "cart_line").await, "nothing changed");
        assert_eq!(lines_by_product().await.len(), 3);

        db.execute_unprepared("DELETE FROM product_variant WHERE title = 'Loose'").await.unwrap();
        db.execute_unprepared("UPDATE product_variant SET stock = 7 WHERE product_id = 1").await.unwrap();
        Migrator::down(&db, Some(1)).await.unwrap();
        assert!(!table_exists(&db, "product_variant").await);
        assert_eq!(
            rows("SELECT cart_id, product_id, quantity FROM cart_product ORDER BY 1, 2").await,
            [vec![10, 1, 2], vec![10, 2, 1], vec![11, 2, 3]],
            "the lines are back on their products"
        );
        assert_eq!(rows("SELECT id, price, stock FROM product ORDER BY id").await, [vec![1, 450, 7], vec![2, 3000, 0]], "the variant's stock came back to its product");
        assert!(db.execute_unprepared("SELECT variant_id FROM order_line").await.is_err(), "the order line's new columns are gone");

        Migrator::up(&db, None).await.unwrap();
        assert_eq!(lines_by_product().await, [vec![10, 1, 2], vec![10, 2, 1], vec![11, 2, 3]]);
        db.close().await.unwrap();
    }

    /// Migration 18 links carts to the discount codes entered on them, each
    /// once, gone with the cart or the code; `down` drops the links.
    async fn carts_hold_discount_codes_and_let_go(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(17)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})"),
            format!("INSERT INTO cart (id, customer_id, created_at, updated_at) VALUES (10, 1, {now}, {now})"),
            format!("INSERT INTO discount_code (id, code, code_key, kind, amount, used_count, once_per_customer, created_at, updated_at) VALUES (3, 'FIVE', 'five', 'FIXED_AMOUNT', 500, 0, false, {now}, {now})"),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        Migrator::up(&db, Some(1)).await.unwrap();
        let link = format!("INSERT INTO cart_discount_code (cart_id, discount_code_id, created_at) VALUES (10, 3, {now})");
        db.execute_unprepared(&link).await.unwrap();
        assert!(db.execute_unprepared(&link).await.is_err(), "a code is on a cart once");
        assert!(db.execute_unprepared(&link.replace("(10, 3", "(10, 99")).await.is_err(), "the code must exist");
        db.execute_unprepared("DELETE FROM discount_code WHERE id = 3").await.unwrap();
        let left = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM cart_discount_code")).await.unwrap().unwrap();
        assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0, "gone with its code");
        Migrator::down(&db, Some(1)).await.unwrap();
        assert!(!table_exists(&db, "cart_discount_code").await);
        Migrator::up(&db, None).await.unwrap();
        assert!(table_exists(&db, "cart_discount_code").await);
        db.close().await.unwrap();
    }

    /// Instances that start at the same moment on a new database migrate it
    /// once between them: each waits for the other's migrations (a
    /// PostgreSQL advisory lock; SQLite's write lock), and all serve.
    async fn instances_starting_together_migrate_once(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let starts = (0..4).map(|_| crate::support::TestApp::on_database(app.engine, database.url.clone()));
        let servers = futures_util::future::join_all(starts).await;
        for server in &servers {
            let answer = server.post("{ products { totalCount } }", serde_json::json!({})).await;
            assert_eq!(answer["data"]["products"]["totalCount"], 0, "{answer:#}");
        }
    }

    /// Migration 19 gives orders what they charged (existing ones: their
    /// subtotal as their total) and variants `requires_shipping`; going
    /// down refuses while an order records a charge or a guest, and works
    /// once none does, with the data kept.
    async fn orders_gain_charges_and_back(app) {
        let database = TestDatabase::create_empty(app.engine).await;
        let db = Database::connect(&database.url).await.unwrap();
        Migrator::up(&db, Some(18)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO customer (id, email, name, created_at, updated_at) VALUES (1, 'a@example.com', 'A', {now}, {now})"),
            format!("INSERT INTO product (id, name, handle, price, stock, created_at, updated_at) VALUES (1, 'Tea', 'tea', 450, 5, {now}, {now})"),
            format!("INSERT INTO product_variant (id, product_id, title, price, stock, option_key, created_at, updated_at) VALUES (1, 1, 'Default Title', 450, 5, '', {now}, {now})"),
            format!(r#"INSERT INTO "order" (id, customer_id, email, currency, status, placed_at, subtotal, total_quantity) VALUES (5, 1, 'a@example.com', 'USD', 'PLACED', {now}, 900, 2)"#),
            "INSERT INTO order_line (order_id, product_id, product_name, variant_id, variant_title, selected_options, unit_price, quantity, line_total) VALUES (5, 1, 'Tea', 1, 'Default Title', '[]', 450, 2, 900)".to_owned(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let one = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
                row.try_get_by_index::<i64>(0).unwrap()
            }
        };
        for _ in 0..2 {
            Migrator::up(&db, Some(1)).await.unwrap();
            assert_eq!(one(r#"SELECT total FROM "order" WHERE id = 5"#).await, 900, "an old order charged its subtotal");
            assert_eq!(one("SELECT discount_allocation + tax FROM order_line").await, 0);
            assert_eq!(one("SELECT COUNT(*) FROM product_variant WHERE requires_shipping").await, 1, "existing variants ship");
            assert!(table_exists(&db, "discount_code_use").await);
            Migrator::down(&db, Some(1)).await.unwrap();
            assert!(!table_exists(&db, "discount_code_use").await);
            assert_eq!(one(r#"SELECT subtotal FROM "order" WHERE id = 5"#).await, 900, "the order is kept");
        }
        Migrator::up(&db, Some(1)).await.unwrap();
        db.execute_unprepared(&format!(r#"INSERT INTO "order" (id, email, currency, status, placed_at, subtotal, total_quantity, tax, total, token_hash) VALUES (6, 'guest@example.com', 'USD', 'PLACED', {now}, 1000, 1, 80, 1080, 'abc')"#)).await.unwrap();
        let refused = Migrator::down(&db, Some(1)).await.expect_err("down refuses");
        assert!(refused.to_string().contains("records of sales"), "{refused}");
        assert!(table_exists(&db, "discount_code_use").await, "nothing changed");
        assert_eq!(one(r#"SELECT total FROM "order" WHERE id = 6"#).await, 1080);
        db.execute_unprepared(r#"DELETE FROM "order" WHERE id = 6"#).await.unwrap();
        Migrator::down(&db, Some(1)).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
    }
}
