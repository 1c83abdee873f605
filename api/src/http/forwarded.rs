//! Reading the client's address from the header a trusted proxy sets
//! (`--client-address-header`), in the forms proxies write:
//! `X-Forwarded-For: 203.0.113.7, 198.51.100.2` (the last one is the
//! proxy's own view), with or without a port (`198.51.100.2:4711`,
//! `[2001:db8::1]:4711`), and RFC 7239's
//! `Forwarded: for=198.51.100.2;proto=https, for="[2001:db8::1]:4711"`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::{HeaderName, HeaderValue};

/// Where a value that does not parse is counted: one bucket of its own,
/// apart from every real client and from the proxy.
pub(super) const UNPARSEABLE: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// The last address of a header value, if it is one.
pub(super) fn last_address(value: &str) -> Option<IpAddr> {
    let last = value.rsplit(',').next()?.trim();
    // RFC 7239: `for=…` among `;`-separated pairs, maybe quoted.
    let node = match last.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then_some(value.trim())
    }) {
        Some(node) => node.trim_matches('"'),
        None if last.contains('=') => return None,
        None => last,
    };
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            // `[2001:db8::1]` without a port.
            let bracketed = node.strip_prefix('[')?.strip_suffix(']')?;
            bracketed.parse().ok()
        })
}

/// Logs, once per process, that the header held something that is not an
/// address: the proxy is misconfigured, and every such request shares one
/// bucket until it is fixed.
pub(super) fn warn_unparseable(name: &HeaderName, value: &HeaderValue) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            header = %name,
            value = ?value,
            "the client address header holds no address; such requests share one rate-limit bucket"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_proxies_write_parse() {
        let parsed = |value: &str| last_address(value).map(|ip| ip.to_string());
        assert_eq!(parsed("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            parsed("203.0.113.7, 198.51.100.2").as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(parsed("198.51.100.2:4711").as_deref(), Some("198.51.100.2"));
        assert_eq!(parsed("[2001:db8::1]:4711").as_deref(), Some("2001:db8::1"));
        assert_eq!(parsed("[2001:db8::1]").as_deref(), Some("2001:db8::1"));
        assert_eq!(parsed("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(
            parsed("for=192.0.2.43, for=198.51.100.17;proto=https;by=203.0.113.60").as_deref(),
            Some("198.51.100.17")
        );
        assert_eq!(
            parsed(r#"For="[2001:db8:cafe::17]:4711""#).as_deref(),
            Some("2001:db8:cafe::17")
        );
        assert_eq!(parsed("unknown"), None);
        assert_eq!(parsed("for=_hidden"), None);
        assert_eq!(parsed("proto=https"), None);
        assert_eq!(parsed(""), None);
    }
}
