//! What an order charged, as it recorded it at checkout: its cost, its
//! shipping line, its discount codes and its taxes. Read from the order's
//! own columns, never from today's rates, codes or prices.

use async_graphql::SimpleObject;
use entity::order;
use serde::Deserialize;

use crate::cart::cost::TaxLine;
use crate::customer::address::{Address, MailingAddress};
use crate::error::{ApiError, ApiResult};
use crate::money::{Currency, Money, Percentage};

/// What an order cost: `total = subtotal − discount + shipping + tax`.
/// With tax-inclusive prices (`taxesIncluded`), subtotal, discount and
/// shipping are shown without the tax in them, and `total` is what the
/// prices said.
#[derive(SimpleObject)]
pub struct OrderCost {
    /// The lines, before discounts.
    pub subtotal: Money,
    /// What discount codes took off.
    pub discount: Money,
    /// The shipping charged.
    pub shipping: Money,
    /// The tax charged, the sum of the order's `taxLines`.
    pub tax: Money,
    /// What the buyer paid: `subtotal − discount + shipping + tax`.
    pub total: Money,
    /// Whether the shop's prices included tax when the order was placed.
    pub taxes_included: bool,
}

/// How an order ships: the rate chosen at checkout.
#[derive(SimpleObject)]
pub struct ShippingLine {
    /// The rate's title, as it was.
    pub title: String,
    /// What it charged for shipping (with tax-inclusive prices, tax
    /// included).
    pub price: Money,
    /// The tax on the shipping (0 unless the shop taxes shipping).
    pub tax: Money,
}

/// A discount code on the cart when it was checked out.
#[derive(SimpleObject)]
pub struct OrderDiscountCode {
    /// The code as staff wrote it.
    pub code: String,
    /// Whether it applied (a code that did not apply is kept, unapplied).
    pub applied: bool,
}

#[derive(Deserialize)]
struct StoredCode {
    code: String,
    applied: bool,
}

#[derive(Deserialize)]
struct StoredTax {
    title: String,
    ppm: i32,
    amount: String,
}

fn unreadable(order: &order::Model, what: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::from(anyhow::anyhow!(
        "order {}'s {what} is not readable: {err}",
        order.id
    ))
}

pub fn cost(order: &order::Model, currency: &Currency) -> OrderCost {
    let money = |minor: i64| Money::from_minor(minor, currency);
    OrderCost {
        subtotal: money(order.subtotal),
        discount: money(order.discount),
        shipping: money(
            order.shipping_price - order.shipping_tax * i64::from(order.taxes_included),
        ),
        tax: money(order.tax),
        total: money(order.total),
        taxes_included: order.taxes_included,
    }
}

pub fn shipping_line(order: &order::Model, currency: &Currency) -> Option<ShippingLine> {
    order.shipping_title.as_ref().map(|title| ShippingLine {
        title: title.clone(),
        price: Money::from_minor(order.shipping_price, currency),
        tax: Money::from_minor(order.shipping_tax, currency),
    })
}

pub fn shipping_address(order: &order::Model) -> ApiResult<Option<MailingAddress>> {
    order
        .shipping_address
        .as_deref()
        .map(|json| {
            let address: Address =
                serde_json::from_str(json).map_err(|err| unreadable(order, "address", err))?;
            Ok(MailingAddress::of(
                "OrderShippingAddress",
                order.id,
                address,
            ))
        })
        .transpose()
}

pub fn discount_codes(order: &order::Model) -> ApiResult<Vec<OrderDiscountCode>> {
    let codes: Vec<StoredCode> = serde_json::from_str(&order.discount_codes)
        .map_err(|err| unreadable(order, "discount codes", err))?;
    Ok(codes
        .into_iter()
        .map(|code| OrderDiscountCode {
            code: code.code,
            applied: code.applied,
        })
        .collect())
}

pub fn tax_lines(order: &order::Model, currency: &Currency) -> ApiResult<Vec<TaxLine>> {
    let taxes: Vec<StoredTax> = serde_json::from_str(&order.tax_lines)
        .map_err(|err| unreadable(order, "tax lines", err))?;
    taxes
        .into_iter()
        .map(|tax| {
            let amount: i128 = tax
                .amount
                .parse()
                .map_err(|err| unreadable(order, "tax amount", err))?;
            Ok(TaxLine {
                title: tax.title,
                rate: Percentage::from_ppm(tax.ppm).percent(),
                amount: Money::from_minor(amount, currency),
            })
        })
        .collect()
}
