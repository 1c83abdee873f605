//! SeaORM entities for the shop's tables, and nothing else: no validation, no
//! GraphQL, no queries. The schema itself is owned by the `migration` crate;
//! these structs mirror it.
//!
//! Layout:
//! - [`customer`] — a shopper; has many carts and an address book of [`customer_address`].
//! - [`product`] — a catalogue item with its handle; `price` and `stock` sum up its variants.
//! - [`product_variant`] — what is sold: a product in one combination of its options, with its
//!   price (integer minor units), stock and SKU; [`product_option`] and [`product_option_value`]
//!   are the product's options, [`product_variant_value`] the values each variant has.
//! - [`image`] — a picture hosted elsewhere: a product's or a collection's.
//! - [`collection`] — a named group of products, through [`collection_product`].
//! - [`cart`] — a customer's or a guest's cart; its lines are [`cart_line`]s.
//! - [`cart_line`] — a cart line: which variant, how many; [`cart_discount_code`] — a code a cart's
//!   shopper entered.
//! - [`checkout`] — the idempotency key of a checkout, and its cart.
//! - [`order`] — what a checkout sold, kept as sold; its lines are [`order_line`].
//! - [`shipping_zone`] — countries shipped to, with their [`shipping_rate`]s ([`shipping_zone_country`]
//!   keeps each country in one zone); [`tax_rate`] — a country's or a province's tax.
//! - [`discount_code`] — a code, its kind and value, window, limits and uses; limited to the
//!   collections in [`discount_code_collection`].
//! - [`session`] — a login: the customer a bearer token stands for, until it expires or is revoked.
//! - [`persisted_query`] — an automatic persisted query, shared by every instance.

pub mod cart;
pub mod cart_discount_code;
pub mod cart_line;
pub mod checkout;
pub mod collection;
pub mod collection_product;
pub mod customer;
pub mod customer_address;
pub mod discount_code;
pub mod discount_code_collection;
pub mod discount_code_use;
pub mod image;
pub mod order;
pub mod order_line;
pub mod persisted_query;
pub mod product;
pub mod product_option;
pub mod product_option_value;
pub mod product_variant;
pub mod product_variant_value;
pub mod session;
pub mod shipping_rate;
pub mod shipping_zone;
pub mod shipping_zone_country;
pub mod tax_rate;

pub mod prelude {
    pub use super::cart::Entity as Cart;
    pub use super::cart_line::Entity as CartLine;
    pub use super::checkout::Entity as Checkout;
    pub use super::collection::Entity as Collection;
    pub use super::collection_product::Entity as CollectionProduct;
    pub use super::customer::Entity as Customer;
    pub use super::customer_address::Entity as CustomerAddress;
    pub use super::image::Entity as Image;
    pub use super::order::Entity as Order;
    pub use super::order_line::Entity as OrderLine;
    pub use super::product::Entity as Product;
    pub use super::product_variant::Entity as ProductVariant;
    pub use super::session::Entity as Session;
}
