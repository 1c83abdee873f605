//! Tax rates: per country, and per province where one is set (a
//! province's rate replaces its country's). Staff set them (`setTaxRate`,
//! `deleteTaxRate`, `taxRates`); checkout applies them to what it taxes.
//! A rate is a percentage with up to four decimals, stored exactly in
//! parts per million ([`Rate`]).

mod fields;
mod mutation;
mod query;
mod rate;

pub use fields::TaxRate;
pub use mutation::TaxMutation;
pub use query::TaxQuery;
pub use rate::Rate;
