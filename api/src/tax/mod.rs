//! Tax rates: per country, and per province where one is set (a
//! province's rate replaces its country's). Staff set them (`setTaxRate`,
//! `deleteTaxRate`, `taxRates`); checkout applies them to what it taxes.
//! A rate is a [`crate::money::Percentage`]: up to four decimals, stored
//! exactly in parts per million.

mod fields;
pub mod loaders;
mod mutation;
mod query;

pub use fields::TaxRate;
pub use mutation::TaxMutation;
pub use query::TaxQuery;

/// How the shop taxes (`--prices-include-tax`, `--tax-shipping`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaxSettings {
    /// Prices (and shipping rates) include tax, as in the EU; off: tax is
    /// added on top, as in the US.
    pub prices_include_tax: bool,
    /// Shipping is taxed at the address's rate too.
    pub tax_shipping: bool,
}
