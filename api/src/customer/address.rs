//! Mailing addresses: a customer's address book, and the rules an address
//! keeps. Countries are ISO 3166-1 codes (the `CountryCode` enum, so a
//! client cannot send one that does not exist); the United States, Canada
//! and Australia need a province (ISO 3166-2, from [`super::country`]) and a
//! postal code of their format. Every field is trimmed and bounded; each bad
//! field is reported at its own path.

use async_graphql::{ID, InputObject, Object};
use chrono::Utc;
use entity::customer_address;
use sea_orm::ActiveValue::Set;

use super::country::{CountryCode, provinces};
use crate::error::UserError;
use crate::ids;
use crate::input::FieldErrors;

/// Most addresses one customer keeps.
pub const MAX_ADDRESSES: u64 = 50;

/// A postal address: one of a customer's, or where a cart ships.
#[derive(Debug, Clone)]
pub struct MailingAddress {
    id: ID,
    address: Address,
}

impl MailingAddress {
    /// The address a cart ships to (`owner` "CartShippingAddress") or an
    /// order shipped to ("OrderShippingAddress"), with an ID of its own.
    pub fn of(owner: &'static str, id: i64, address: Address) -> MailingAddress {
        let id = ids::encode_other(owner, id);
        MailingAddress { id, address }
    }
}

impl From<customer_address::Model> for MailingAddress {
    fn from(row: customer_address::Model) -> MailingAddress {
        MailingAddress {
            id: ids::encode_address(row.id),
            address: Address {
                first_name: row.first_name,
                last_name: row.last_name,
                company: row.company,
                address1: row.address1,
                address2: row.address2,
                city: row.city,
                province_code: row.province_code,
                zip: row.zip,
                // Stored only from a `CountryCode`, so always one of them.
                country_code: CountryCode::from_code(&row.country_code).unwrap_or(CountryCode::US),
                phone: row.phone,
            },
        }
    }
}

impl crate::store::pagination::Keyed for customer_address::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// A postal address: one of a customer's, or where a cart ships.
#[Object(cache_control(private))]
impl MailingAddress {
    /// The address's ID.
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The first name of the person to deliver to.
    async fn first_name(&self) -> Option<&str> {
        self.address.first_name.as_deref()
    }

    /// The last name of the person to deliver to.
    async fn last_name(&self) -> Option<&str> {
        self.address.last_name.as_deref()
    }

    /// A company name, if it is a company's address.
    async fn company(&self) -> Option<&str> {
        self.address.company.as_deref()
    }

    /// The street address.
    async fn address1(&self) -> &str {
        &self.address.address1
    }

    /// A second line: apartment, suite, unit.
    async fn address2(&self) -> Option<&str> {
        self.address.address2.as_deref()
    }

    /// The city, town or village.
    async fn city(&self) -> &str {
        &self.address.city
    }

    /// The province, state or territory (ISO 3166-2 subdivision code without
    /// the country, e.g. `CA` for California); required in the United
    /// States, Canada and Australia.
    async fn province_code(&self) -> Option<&str> {
        self.address.province_code.as_deref()
    }

    /// The postal code (ZIP code in the United States).
    async fn zip(&self) -> Option<&str> {
        self.address.zip.as_deref()
    }

    /// The country.
    async fn country_code(&self) -> CountryCode {
        self.address.country_code
    }

    /// A phone number for the carrier.
    async fn phone(&self) -> Option<&str> {
        self.address.phone.as_deref()
    }
}

/// An address to keep or to ship to.
#[derive(Debug, Clone, InputObject)]
pub struct MailingAddressInput {
    /// The first name of the person to deliver to, at most 100 characters.
    pub first_name: Option<String>,
    /// The last name of the person to deliver to, at most 100 characters.
    pub last_name: Option<String>,
    /// A company name, at most 100 characters.
    pub company: Option<String>,
    /// The street address, 1 to 255 characters.
    pub address1: String,
    /// A second line (apartment, suite, unit), at most 255 characters.
    pub address2: Option<String>,
    /// The city, 1 to 100 characters.
    pub city: String,
    /// The province, state or territory code (`CA`, `ON`, `NSW`): required
    /// in the United States, Canada and Australia, and then one of theirs.
    pub province_code: Option<String>,
    /// The postal code: required in the United States (`12345` or
    /// `12345-6789`), Canada (`A1A 1A1`) and Australia (`2000`); at most 20
    /// characters elsewhere.
    pub zip: Option<String>,
    /// The country.
    pub country_code: CountryCode,
    /// A phone number for the carrier: digits, spaces and `+ ( ) - .`, at
    /// most 30 characters.
    pub phone: Option<String>,
}

/// An address, its fields parsed (kept as JSON where a cart ships).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    address1: String,
    address2: Option<String>,
    city: String,
    province_code: Option<String>,
    zip: Option<String>,
    country_code: CountryCode,
    phone: Option<String>,
}

impl Address {
    /// Every bad field of `input` at once, under `field` (e.g. `["address"]`).
    pub fn parse(input: &MailingAddressInput, field: &[&str]) -> Result<Address, Vec<UserError>> {
        let at = |name: &str| -> Vec<String> {
            field
                .iter()
                .map(|part| part.to_string())
                .chain([name.to_owned()])
                .collect()
        };
        let mut errors = FieldErrors::default();
        let optional = |errors: &mut FieldErrors, text: &Option<String>, name: &str, max: usize| {
            errors
                .check(optional_text(text.as_deref(), &at(name), max))
                .flatten()
        };
        let first_name = optional(&mut errors, &input.first_name, "firstName", 100);
        let last_name = optional(&mut errors, &input.last_name, "lastName", 100);
        let company = optional(&mut errors, &input.company, "company", 100);
        let address1 = errors.check(required_text(&input.address1, &at("address1"), 255));
        let address2 = optional(&mut errors, &input.address2, "address2", 255);
        let city = errors.check(required_text(&input.city, &at("city"), 100));
        let country = input.country_code;
        let province_code = errors
            .check(parse_province(
                input.province_code.as_deref(),
                country,
                &at("provinceCode"),
            ))
            .flatten();
        let zip = errors
            .check(parse_zip(input.zip.as_deref(), country, &at("zip")))
            .flatten();
        let phone = errors
            .check(parse_phone(input.phone.as_deref(), &at("phone")))
            .flatten();
        let (Some(address1), Some(city)) = (address1, city) else {
            return Err(errors.into_errors());
        };
        let errors = errors.into_errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Address {
            first_name,
            last_name,
            company,
            address1,
            address2,
            city,
            province_code,
            zip,
            country_code: country,
            phone,
        })
    }

    /// The country, for the shipping zone and the tax rate.
    pub fn country(&self) -> CountryCode {
        self.country_code
    }

    /// The province code, if any.
    pub fn province(&self) -> Option<&str> {
        self.province_code.as_deref()
    }

    /// Writes the address's fields into `row`.
    pub fn write_into(self, row: &mut customer_address::ActiveModel) {
        row.first_name = Set(self.first_name);
        row.last_name = Set(self.last_name);
        row.company = Set(self.company);
        row.address1 = Set(self.address1);
        row.address2 = Set(self.address2);
        row.city = Set(self.city);
        row.province_code = Set(self.province_code);
        row.zip = Set(self.zip);
        row.country_code = Set(self.country_code.as_str().to_owned());
        row.phone = Set(self.phone);
        row.updated_at = Set(Utc::now());
    }
}

fn too_long(field: &[String], max: usize) -> UserError {
    UserError::invalid(field, format!("Must be at most {max} characters"))
}

fn required_text(text: &str, field: &[String], max: usize) -> Result<String, UserError> {
    match text.trim() {
        "" => Err(UserError::invalid(field, "Must not be empty")),
        text if text.chars().count() > max => Err(too_long(field, max)),
        text => Ok(text.to_owned()),
    }
}

fn optional_text(
    text: Option<&str>,
    field: &[String],
    max: usize,
) -> Result<Option<String>, UserError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) if text.chars().count() > max => Err(too_long(field, max)),
        Some(text) => Ok(Some(text.to_owned())),
    }
}

fn parse_province(
    code: Option<&str>,
    country: CountryCode,
    field: &[String],
) -> Result<Option<String>, UserError> {
    let code = code
        .map(|code| code.trim().to_uppercase())
        .filter(|code| !code.is_empty());
    match (provinces(country), code) {
        (Some(_), None) => Err(UserError::invalid(
            field,
            format!("An address in {} needs a province or state", country.name()),
        )),
        (Some(known), Some(code)) => match known.iter().find(|(known, _)| *known == code) {
            Some(_) => Ok(Some(code)),
            None => Err(UserError::invalid(
                field,
                format!("`{code}` is not a province or state of {}", country.name()),
            )),
        },
        (None, Some(code))
            if code.len() > 10 || !code.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Err(UserError::invalid(
                field,
                "A province code is at most 10 letters and digits",
            ))
        }
        (None, code) => Ok(code),
    }
}

fn parse_zip(
    zip: Option<&str>,
    country: CountryCode,
    field: &[String],
) -> Result<Option<String>, UserError> {
    let zip = zip
        .map(|zip| zip.trim().to_uppercase())
        .filter(|zip| !zip.is_empty());
    let digits = |text: &str| text.chars().all(|c| c.is_ascii_digit());
    let (valid, example) = match (country, zip.as_deref()) {
        (CountryCode::US | CountryCode::CA | CountryCode::AU, None) => (false, "a postal code"),
        (CountryCode::US, Some(zip)) => (
            match zip.split_once('-') {
                Some((five, four)) => {
                    five.len() == 5 && digits(five) && four.len() == 4 && digits(four)
                }
                None => zip.len() == 5 && digits(zip),
            },
            "a ZIP code such as 12345 or 12345-6789",
        ),
        (CountryCode::CA, Some(zip)) => {
            let compact: Vec<char> = zip.chars().filter(|c| *c != ' ').collect();
            (
                compact.len() == 6
                    && compact.iter().enumerate().all(|(i, c)| {
                        if i % 2 == 0 {
                            c.is_ascii_alphabetic()
                        } else {
                            c.is_ascii_digit()
                        }
                    }),
                "a postal code such as K1A 0B1",
            )
        }
        (CountryCode::AU, Some(zip)) => (zip.len() == 4 && digits(zip), "a postcode such as 2000"),
        (_, Some(zip)) => (
            zip.chars().count() <= 20,
            "a postal code of at most 20 characters",
        ),
        (_, None) => (true, ""),
    };
    if !valid {
        return Err(UserError::invalid(
            field,
            format!("An address in {} needs {example}", country.name()),
        ));
    }
    // Canadian codes are kept in their usual form, `A1A 1A1`.
    Ok(zip.map(|zip| match country {
        CountryCode::CA => {
            let compact: String = zip.chars().filter(|c| *c != ' ').collect();
            format!("{} {}", &compact[..3], &compact[3..])
        }
        _ => zip,
    }))
}

fn parse_phone(phone: Option<&str>, field: &[String]) -> Result<Option<String>, UserError> {
    match phone.map(str::trim) {
        None | Some("") => Ok(None),
        Some(phone)
            if phone.chars().count() <= 30
                && phone.chars().any(|c| c.is_ascii_digit())
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +()-.".contains(c)) =>
        {
            Ok(Some(phone.to_owned()))
        }
        Some(_) => Err(UserError::invalid(
            field,
            "A phone number is digits, spaces and + ( ) - ., at most 30 characters",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(country: CountryCode) -> MailingAddressInput {
        MailingAddressInput {
            first_name: Some(" Ada ".into()),
            last_name: None,
            company: Some("".into()),
            address1: "1 Main St".into(),
            address2: None,
            city: "Springfield".into(),
            province_code: None,
            zip: None,
            country_code: country,
            phone: None,
        }
    }

    fn fields(errors: Vec<UserError>) -> Vec<String> {
        errors
            .into_iter()
            .map(|error| error.field.unwrap().join("."))
            .collect()
    }

    #[test]
    fn provinces_and_postal_codes_where_countries_need_them() {
        let mut us = input(CountryCode::US);
        assert_eq!(
            fields(Address::parse(&us, &["address"]).unwrap_err()),
            ["address.provinceCode", "address.zip"]
        );
        us.province_code = Some("il".into());
        us.zip = Some("62701-1234".into());
        let parsed = Address::parse(&us, &["address"]).unwrap();
        assert_eq!(parsed.province_code.as_deref(), Some("IL"));
        assert_eq!(parsed.first_name.as_deref(), Some("Ada"));
        assert_eq!(parsed.company, None, "blank is none");
        us.province_code = Some("XX".into());
        us.zip = Some("6270".into());
        assert_eq!(
            fields(Address::parse(&us, &["address"]).unwrap_err()),
            ["address.provinceCode", "address.zip"]
        );

        let mut ca = input(CountryCode::CA);
        ca.province_code = Some("ON".into());
        ca.zip = Some("k1a0b1".into());
        assert_eq!(
            Address::parse(&ca, &[]).unwrap().zip.as_deref(),
            Some("K1A 0B1")
        );

        let mut fr = input(CountryCode::FR);
        assert!(Address::parse(&fr, &[]).is_ok(), "no province needed");
        fr.phone = Some("call me".into());
        fr.address1 = " ".into();
        fr.city = "x".repeat(101);
        assert_eq!(
            fields(Address::parse(&fr, &[]).unwrap_err()),
            ["address1", "city", "phone"]
        );
    }
}
