//! URLs fit for logs and `shopgraph config`: a database or collector URL
//! may carry credentials in two places, and both are hidden.

/// Query parameters whose values are secrets when a part of their name is
/// one of these (sqlx takes `password=`, `sslpassword=`; collectors,
/// `token=`, `api_key=`, …).
const SECRET_PARAMETER_WORDS: [&str; 5] = ["pass", "secret", "token", "key", "auth"];

/// `url` with the password of `user:password@` and the values of secret
/// query parameters (`?password=…`) replaced by `***`.
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match base.find("://") {
        Some(scheme_end) => {
            let rest = &base[scheme_end + 3..];
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => {
                    let credentials = &rest[..at];
                    let user = credentials
                        .split_once(':')
                        .map_or(credentials, |(user, _)| user);
                    let hidden = if credentials.contains(':') {
                        ":***"
                    } else {
                        ""
                    };
                    format!("{}{user}{hidden}{}", &base[..scheme_end + 3], &rest[at..])
                }
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret(name) => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&pairs.join("&"));
    }
    redacted
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMETER_WORDS
        .iter()
        .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_are_hidden_wherever_the_url_carries_them() {
        assert_eq!(
            redact("postgres://shop:s3cret@db:5432/shop"),
            "postgres://shop:***@db:5432/shop"
        );
        assert_eq!(
            redact("postgres://db/shop?user=shop&password=s3cret&sslmode=require"),
            "postgres://db/shop?user=shop&password=***&sslmode=require"
        );
        assert_eq!(
            redact("https://user:pw@collector:4318/?api_key=abc&x=1"),
            "https://user:***@collector:4318/?api_key=***&x=1"
        );
        assert_eq!(
            redact("sqlite://shop.db?mode=rwc"),
            "sqlite://shop.db?mode=rwc"
        );
        assert_eq!(redact("postgres://shop@db/shop"), "postgres://shop@db/shop");
        // An `@` in the path is no credential.
        assert_eq!(redact("http://collector/a@b"), "http://collector/a@b");
    }
}
