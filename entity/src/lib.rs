//! SeaORM entities for the shop's tables, and nothing else: no validation, no
//! GraphQL, no queries. The schema itself is owned by the `migration` crate;
//! these structs mirror it.
//!
//! Layout:
//! - [`customer`] — a shopper; has many carts and an address book of [`customer_address`].
//! - [`product`] — a catalogue item with its handle, price (integer minor units) and stock.
//! - [`image`] — a picture hosted elsewhere: a product's or a collection's.
//! - [`collection`] — a named group of products, through [`collection_product`].
//! - [`cart`] — a customer's cart; many-to-many with products through [`cart_product`].
//! - [`cart_product`] — a cart line: which product, how many.
//! - [`checkout`] — the idempotency key of a checkout, and its cart.
//! - [`order`] — what a checkout sold, kept as sold; its lines are [`order_line`].
//! - [`shipping_zone`] — countries shipped to, with their [`shipping_rate`]s ([`shipping_zone_country`]
//!   keeps each country in one zone); [`tax_rate`] — a country's or a province's tax.
//! - [`discount_code`] — a code, its kind and value, window, limits and uses; limited to the
//!   collections in [`discount_code_collection`].
//! - [`session`] — a login: the customer a bearer token stands for, until it expires or is revoked.
//! - [`persisted_query`] — an automatic persisted query, shared by every instance.

pub mod cart;
pub mod cart_product;
pub mod checkout;
pub mod collection;
pub mod collection_product;
pub mod customer;
pub mod customer_address;
pub mod discount_code;
pub mod discount_code_collection;
pub mod image;
pub mod order;
pub mod order_line;
pub mod persisted_query;
pub mod product;
pub mod session;
pub mod shipping_rate;
pub mod shipping_zone;
pub mod shipping_zone_country;
pub mod tax_rate;

pub mod prelude {
    pub use super::cart::Entity as Cart;
    pub use super::cart_product::Entity as CartProduct;
    pub use super::checkout::Entity as Checkout;
    pub use super::collection::Entity as Collection;
    pub use super::collection_product::Entity as CollectionProduct;
    pub use super::customer::Entity as Customer;
    pub use super::customer_address::Entity as CustomerAddress;
    pub use super::image::Entity as Image;
    pub use super::order::Entity as Order;
    pub use super::order_line::Entity as OrderLine;
    pub use super::product::Entity as Product;
    pub use super::session::Entity as Session;
}
