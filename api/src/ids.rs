//! Opaque global IDs (Relay Global Object Identification).
//!
//! An ID is the base64 of `Type:key`, e.g. `UHJvZHVjdDo0Mg==` for `Product:42`.
//! Clients must treat it as opaque; the type prefix lets `node(id:)` find the
//! object and lets every argument reject an ID of the wrong type. IDs are
//! always written in standard, padded base64, and read with or without the
//! `=` padding (URL slugs strip it). (`Type:digits` never encodes to `+` or
//! `/`, so the URL-safe alphabet needs nothing of its own.)

use async_graphql::ID;
use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{ApiError, ApiResult};

/// The types that have global IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Product,
    Customer,
    Cart,
    Order,
    Collection,
    ProductVariant,
}

impl NodeKind {
    const ALL: [NodeKind; 6] = [
        NodeKind::Product,
        NodeKind::Customer,
        NodeKind::Cart,
        NodeKind::Order,
        NodeKind::Collection,
        NodeKind::ProductVariant,
    ];

    fn type_name(self) -> &'static str {
        match self {
            NodeKind::Product => "Product",
            NodeKind::Customer => "Customer",
            NodeKind::Cart => "Cart",
            NodeKind::Order => "Order",
            NodeKind::Collection => "Collection",
            NodeKind::ProductVariant => "ProductVariant",
        }
    }
}

/// The global ID of the row `key` of type `kind`.
pub fn encode(kind: NodeKind, key: i64) -> ID {
    ID(STANDARD.encode(format!("{}:{key}", kind.type_name())))
}

/// How IDs are read: with or without padding.
const READ: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The ID of the cart line of `variant` in `cart` (a line has no key of
/// its own: it is the pair).
pub fn encode_line(cart: i64, variant: i64) -> ID {
    ID(STANDARD.encode(format!("CartLine:{cart}:{variant}")))
}

/// The ID of an order line (reached through its order, not a `Node`).
pub fn encode_order_line(line: i64) -> ID {
    ID(STANDARD.encode(format!("OrderLine:{line}")))
}

/// The global ID of a row of a type that is not a `Node` (an image, an
/// address, a shipping zone …): unique across types like every ID, so
/// Relay's store can key on it, but fetched only through its owner.
pub fn encode_other(type_name: &str, key: i64) -> ID {
    ID(STANDARD.encode(format!("{type_name}:{key}")))
}

/// The key of an ID made by [`encode_other`] for `type_name`, given as
/// `argument`; `BAD_USER_INPUT` for anything else.
pub fn decode_other(id: &ID, type_name: &str, argument: &str) -> ApiResult<i64> {
    READ.decode(id.as_str())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (found, key) = text.split_once(':')?;
            (found == type_name).then(|| key.parse::<i64>().ok())?
        })
        .ok_or_else(|| {
            ApiError::bad_input(format!(
                "`{argument}` must be the ID of a {type_name}, not `{}`",
                id.as_str()
            ))
        })
}

/// The ID of an image (reached through its product or collection).
pub fn encode_image(image: i64) -> ID {
    encode_other("Image", image)
}

/// The ID of an address in a customer's address book.
pub fn encode_address(address: i64) -> ID {
    encode_other("MailingAddress", address)
}

/// The key of an address ID given as `argument`.
pub fn decode_address(id: &ID, argument: &str) -> ApiResult<i64> {
    decode_other(id, "MailingAddress", argument)
}

/// Decodes any global ID into its type and key.
pub fn decode(id: &ID) -> ApiResult<(NodeKind, i64)> {
    let malformed = || ApiError::bad_input(format!("`{}` is not a valid ID", id.as_str()));
    let bytes = READ.decode(id.as_str()).map_err(|_| malformed())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let (type_name, key) = text.split_once(':').ok_or_else(malformed)?;
    let kind = NodeKind::ALL
        .into_iter()
        .find(|kind| kind.type_name() == type_name)
        .ok_or_else(malformed)?;
    let key = key.parse::<i64>().map_err(|_| malformed())?;
    Ok((kind, key))
}

/// Decodes an ID that must be of type `kind`; `argument` names the offending
/// argument in the error message.
pub fn decode_as(id: &ID, kind: NodeKind, argument: &str) -> ApiResult<i64> {
    match decode(id)? {
        (found, key) if found == kind => Ok(key),
        (found, _) => Err(ApiError::bad_input(format!(
            "`{argument}` must be a {} ID, got a {} ID",
            kind.type_name(),
            found.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        for kind in NodeKind::ALL {
            assert_eq!(decode(&encode(kind, 42)).unwrap(), (kind, 42));
        }
    }

    #[test]
    fn reads_ids_without_their_padding() {
        for key in [1, 42, 123, 4_567] {
            let id = encode(NodeKind::Product, key);
            let unpadded = ID(id.trim_end_matches('=').to_owned());
            assert_eq!(decode(&unpadded).unwrap(), (NodeKind::Product, key));
        }
        assert!(
            encode(NodeKind::Product, 42).ends_with('='),
            "written padded"
        );
    }

    #[test]
    fn rejects_garbage_and_wrong_types() {
        assert!(decode(&ID::from("not base64!")).is_err());
        assert!(decode(&ID(STANDARD.encode("Invoice:1"))).is_err());
        assert!(decode(&ID(STANDARD.encode("Product:x"))).is_err());
        assert!(decode_as(&encode(NodeKind::Cart, 1), NodeKind::Product, "id").is_err());
    }
}
