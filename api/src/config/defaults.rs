//! The default of each setting, shared by the command line and
//! [`super::Config::for_database`], and the parsers of values clap cannot
//! check by type.

use std::net::{Ipv4Addr, SocketAddr};

pub const DATABASE_URL: &str = "sqlite://shop.db?mode=rwc";
pub const LOG: &str = "info";
pub const CURRENCY: &str = "USD";
pub const DB_POOL_SIZE: u32 = 10;
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
pub const DB_ACQUIRE_TIMEOUT_MS: u64 = 2_000;
pub const TOKEN_HOURS: u64 = 24;
pub const DB_BUSY_TIMEOUT_MS: u64 = 10_000;
pub const SHUTDOWN_GRACE_MS: u64 = 30_000;
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 20_000;
pub const MAX_ALIASES: usize = 30;
pub const MAX_BATCH: u16 = 20;
pub const MAX_TOKENS: u32 = 5_000;
pub const HEADER_TIMEOUT_MS: u64 = 10_000;
pub const WS_INIT_TIMEOUT_MS: u64 = 10_000;
pub const WS_KEEPALIVE_MS: u64 = 15_000;
pub const WS_WRITE_TIMEOUT_MS: u64 = 10_000;
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 100;
pub const MAX_SUBSCRIPTIONS_PER_CUSTOMER: u32 = 200;
pub const BODY_TIMEOUT_MS: u64 = 10_000;
pub const MAX_CONNECTIONS: u32 = 1_000;
pub const MAX_CONNECTIONS_PER_IP: u32 = 256;
pub const MAX_NESTING: u8 = 64;
pub const DOCUMENT_CACHE_BYTES: u64 = 32 * 1024 * 1024;
pub const MAX_CONCURRENT_REQUESTS: u16 = 16;
pub const MAX_CONCURRENT_PER_CLIENT: u16 = 4;
/// Two of the costliest requests; then one every ten seconds, or ten
/// pages of 20 products with a few fields each per second.
pub const RATE_LIMIT_POINTS: u32 = 40_000;
pub const RATE_LIMIT_RESTORE: u32 = 2_000;
pub const CACHE_MAX_AGE_S: u32 = 60;
/// 30 days.
pub const GUEST_CART_IDLE_HOURS: u32 = 720;
pub const GUEST_CARTS_PER_HOUR: u32 = 60;
pub const MAX_OPEN_CARTS_PER_CUSTOMER: u32 = 100;
pub const PERSISTED_QUERIES_PER_HOUR: u32 = 100;
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
pub const STATEMENT_TIMEOUT_MS: u64 = 5_000;

pub fn listen() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 8000))
}

pub(super) fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(format!("`{text}` is not a ratio from 0 to 1")),
    }
}

pub(super) fn parse_currency(code: &str) -> Result<String, String> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "`{code}` is not an ISO 4217 currency code (three capital letters)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes() {
        assert!(parse_currency("EUR").is_ok());
        assert!(parse_currency("eur").is_err());
        assert!(parse_currency("EURO").is_err());
    }
}
