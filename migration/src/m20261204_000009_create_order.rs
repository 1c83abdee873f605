//! Orders: what a checkout sold, kept as it was sold. A checked-out cart
//! stays a live view of the catalogue (its lines follow prices and vanish
//! with deleted products); an order keeps its own copy — each line's
//! product name, unit price and quantity, the order's subtotal and units —
//! so price changes, product deletes and customer deletes never change a
//! sale.
//!
//! - `order`: one per checkout. Its id is its number (sequential in the
//!   shop). `customer_id` and `email` are set null when the customer is
//!   deleted (the books keep the sale, not the person); `cart_id` is the
//!   cart it came from, unique (a replayed checkout finds its order).
//! - `order_line`: a line of an order; `product_id` is set null when the
//!   product is deleted, and the snapshot stays.
//!
//! `up` also turns every cart already checked out into an order, in the
//! order they were checked out, with prices **as they are when the
//! migration runs** (earlier prices were never kept) and the shop's
//! currency from the server's settings ([`crate::Settings`]; `USD`, the
//! server's default, when run without them). `down` drops both tables: carts keep their `checked_out_at`,
//! so the schema before this migration loses nothing it had. Each
//! direction runs in one transaction.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, outer: &SchemaManager) -> Result<(), DbErr> {
        let manager = outer.begin().await?;
        manager
            .create_table(
                Table::create()
                    .table(Order::Table)
                    .col(big_pk_auto(Order::Id))
                    .col(big_integer_null(Order::CustomerId))
                    .col(string_len_null(Order::Email, 254))
                    .col(string_len(Order::Currency, 3))
                    .col(string_len(Order::Status, 16))
                    .col(timestamp_with_time_zone(Order::PlacedAt))
                    .col(timestamp_with_time_zone_null(Order::CancelledAt))
                    .col(big_integer(Order::Subtotal))
                    .col(big_integer(Order::TotalQuantity))
                    .col(big_integer_null(Order::CartId).unique_key())
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_customer_id_fkey")
                            .from(Order::Table, Order::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_cart_id_fkey")
                            .from(Order::Table, Order::CartId)
                            .to(Cart::Table, Cart::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "order_status_known",
                        Expr::col(Order::Status).is_in(["PLACED", "CANCELLED"]),
                    ))
                    .to_owned(),
            )
            .await?;
        // A customer's orders, newest first, and the SET NULL on customer
        // delete both look orders up by customer.
        manager
            .create_index(
                Index::create()
                    .name("order_customer_id_placed_at_idx")
                    .table(Order::Table)
                    .col(Order::CustomerId)
                    .col(Order::PlacedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_placed_at_idx")
                    .table(Order::Table)
                    .col(Order::PlacedAt)
                    .col(Order::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderLine::Table)
                    .col(big_pk_auto(OrderLine::Id))
                    .col(big_integer(OrderLine::OrderId))
                    .col(big_integer_null(OrderLine::ProductId))
                    .col(string_len(OrderLine::ProductName, 200))
                    .col(big_integer(OrderLine::UnitPrice))
                    .col(integer(OrderLine::Quantity))
                    .col(big_integer(OrderLine::LineTotal))
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_line_order_id_fkey")
                            .from(OrderLine::Table, OrderLine::OrderId)
                            .to(Order::Table, Order::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_line_product_id_fkey")
                            .from(OrderLine::Table, OrderLine::ProductId)
                            .to(Product::Table, Product::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "order_line_quantity_positive",
                        Expr::col(OrderLine::Quantity).gt(0),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("order_line_order_id_idx", OrderLine::OrderId),
            ("order_line_product_id_idx", OrderLine::ProductId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OrderLine::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        // The server checked the code (three upper-case letters) before
        // passing it; checked again, as it goes into the statement's text.
        let currency = crate::settings().currency;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(DbErr::Migration(format!(
                "the shop's currency must be three upper-case letters, not {currency:?}"
            )));
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            r#"INSERT INTO "order" (customer_id, email, currency, status, placed_at, subtotal, total_quantity, cart_id)
               SELECT cart.customer_id, customer.email, '{currency}', 'PLACED', cart.checked_out_at,
                      COALESCE((SELECT SUM(product.price * cart_product.quantity) FROM cart_product
                                JOIN product ON product.id = cart_product.product_id
                                WHERE cart_product.cart_id = cart.id), 0),
                      COALESCE((SELECT SUM(cart_product.quantity) FROM cart_product
                                WHERE cart_product.cart_id = cart.id), 0),
                      cart.id
               FROM cart JOIN customer ON customer.id = cart.customer_id
               WHERE cart.checked_out_at IS NOT NULL
               ORDER BY cart.checked_out_at, cart.id"#
        ))
        .await?;
        db.execute_unprepared(
            r#"INSERT INTO order_line (order_id, product_id, product_name, unit_price, quantity, line_total)
               SELECT "order".id, product.id, product.name, product.price, cart_product.quantity,
                      product.price * cart_product.quantity
               FROM "order" JOIN cart_product ON cart_product.cart_id = "order".cart_id
               JOIN product ON product.id = cart_product.product_id
               ORDER BY "order".id, product.id"#,
        )
        .await?;
        manager.commit().await
    }

    async fn down(&self, outer: &SchemaManager) -> Result<(), DbErr> {
        let manager = outer.begin().await?;
        manager
            .drop_table(Table::drop().table(OrderLine::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Order::Table).to_owned())
            .await?;
        manager.commit().await
    }
}

#[derive(DeriveIden)]
enum Order {
    Table,
    Id,
    CustomerId,
    Email,
    Currency,
    Status,
    PlacedAt,
    CancelledAt,
    Subtotal,
    TotalQuantity,
    CartId,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    Id,
    OrderId,
    ProductId,
    ProductName,
    UnitPrice,
    Quantity,
    LineTotal,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
}
