//! Integration tests: each starts the real server on a fresh database and
//! talks GraphQL to it over HTTP. Tests written with `engine_tests!` run once
//! on SQLite and once on PostgreSQL.

// The merged mutation root's resolver futures nest deeper than the
// default limit of 128 lets the compiler lay out.
#![recursion_limit = "256"]

mod js;
mod layout;
mod support;

mod addresses;
mod auth;
mod binary;
mod cart_shipping;
mod carts;
mod catalogue;
mod checkout;
mod checkout_charges;
mod completion;
mod contract;
mod customers;
mod discounts;
mod docs;
mod entities;
mod faults;
mod filters;
mod fuzz;
mod graphiql;
mod guests;
mod hardening;
mod http;
mod limits;
mod migrations;
mod node;
mod operability;
mod ordering;
mod orders;
mod otlp;
mod pagination;
mod products;
mod prometheus;
mod rate_limits;
mod schema;
mod schemathesis;
mod shipping;
mod spec;
mod subscriptions;
mod trusted;
mod typescript;
mod variants;
mod writes;
