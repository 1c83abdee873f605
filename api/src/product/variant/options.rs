//! Product options ("Size": S, M, L) and the options a variant selects
//! ("Size": M): their GraphQL types, the rules option input obeys, and how
//! a selection is matched against a product's options.

use async_graphql::{InputObject, SimpleObject};

use crate::error::{UserError, UserErrorCode};

/// Most options a product has (as Shopify: Size, Color, Material).
pub const MAX_OPTIONS: usize = 3;
/// Most values one option has.
pub const MAX_OPTION_VALUES: usize = 100;
/// Longest option name or value, in characters.
pub const MAX_OPTION_CHARS: usize = 255;

/// A product option, such as "Size", and the values it takes, in order.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductOption {
    /// The option's name, unique within its product ("Size").
    pub name: String,
    /// The values the option takes, in order ("S", "M", "L").
    pub values: Vec<String>,
}

/// One option a variant selects: its name and the value taken.
#[derive(Debug, Clone, SimpleObject)]
pub struct SelectedOption {
    /// The option's name ("Size").
    pub name: String,
    /// The value taken ("M").
    pub value: String,
}

/// One option of a variant: its name and the value taken.
#[derive(Debug, Clone, InputObject)]
pub struct SelectedOptionInput {
    /// The option's name ("Size").
    pub name: String,
    /// The value taken ("M").
    pub value: String,
}

/// An option of a new product, with its values.
#[derive(Debug, Clone, InputObject)]
pub struct ProductOptionInput {
    /// The option's name, 1 to 255 characters, unique within the product.
    pub name: String,
    /// Its values in order: 1 to 100, each 1 to 255 characters, no two alike.
    pub values: Vec<String>,
}

/// One option of a stored product: its id, name and values (id, value) in
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionOfProduct {
    pub id: i64,
    pub name: String,
    pub values: Vec<(i64, String)>,
}

/// A stored product's options, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductOptions(pub Vec<OptionOfProduct>);

/// A variant's selected options (name, value), in its product's option
/// order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectedOptions(pub Vec<(String, String)>);

/// How a selection names a product's options, option by option.
pub enum Selection {
    /// Every option named once with one of its values: the value ids in
    /// option order.
    Known(Vec<i64>),
    /// Every option named once, but some with values the option does not
    /// have yet: (option index, value) for each.
    NewValues(Vec<(usize, String)>),
}

impl ProductOptions {
    /// The combination `selected` makes of these options, or why it is
    /// none (a user error at `field`).
    pub fn select(
        &self,
        selected: &[(String, String)],
        field: &[impl AsRef<str>],
    ) -> Result<Selection, UserError> {
        let mut value_ids = Vec::with_capacity(self.0.len());
        let mut new_values = Vec::new();
        for (index, option) in self.0.iter().enumerate() {
            let mut named = selected.iter().filter(|(name, _)| *name == option.name);
            let (Some((_, value)), None) = (named.next(), named.next()) else {
                return Err(UserError::invalid(
                    field,
                    format!(
                        "Select exactly one value of each option: {}",
                        self.names().join(", ")
                    ),
                ));
            };
            match option.values.iter().find(|(_, known)| known == value) {
                Some((id, _)) => value_ids.push(*id),
                None => new_values.push((index, value.clone())),
            }
        }
        if let Some((name, _)) = selected
            .iter()
            .find(|(name, _)| !self.0.iter().any(|option| option.name == *name))
        {
            return Err(UserError::invalid(
                field,
                if self.0.is_empty() {
                    format!("The product has no options, so it has no \u{201c}{name}\u{201d}")
                } else {
                    format!(
                        "The product has no option \u{201c}{name}\u{201d}; its options are {}",
                        self.names().join(", ")
                    )
                },
            ));
        }
        Ok(if new_values.is_empty() {
            Selection::Known(value_ids)
        } else {
            Selection::NewValues(new_values)
        })
    }

    /// The variant a known selection makes: its unique key and its title.
    pub fn combination(&self, value_ids: &[i64]) -> (String, String) {
        let key = value_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let title = self
            .0
            .iter()
            .zip(value_ids)
            .filter_map(|(option, id)| {
                option
                    .values
                    .iter()
                    .find(|(value_id, _)| value_id == id)
                    .map(|(_, value)| value.clone())
            })
            .collect::<Vec<_>>();
        let title = if title.is_empty() {
            DEFAULT_TITLE.to_owned()
        } else {
            title.join(" / ")
        };
        (key, title)
    }

    /// The options as the API shows them.
    pub fn shown(&self) -> Vec<ProductOption> {
        self.0
            .iter()
            .map(|option| ProductOption {
                name: option.name.clone(),
                values: option
                    .values
                    .iter()
                    .map(|(_, value)| value.clone())
                    .collect(),
            })
            .collect()
    }

    fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|option| format!("\u{201c}{}\u{201d}", option.name))
            .collect()
    }
}

/// The title of the one variant of a product without options.
pub const DEFAULT_TITLE: &str = "Default Title";

/// An option name or value: trimmed, 1 to [`MAX_OPTION_CHARS`].
pub fn parse_label(text: &str, what: &str, field: &[impl AsRef<str>]) -> Result<String, UserError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_OPTION_CHARS {
        return Err(UserError::invalid(
            field,
            format!("{what} must be 1 to {MAX_OPTION_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A selection as given: each name and value checked.
pub fn parse_selection(
    selected: &[SelectedOptionInput],
    field: &[String],
) -> Result<Vec<(String, String)>, UserError> {
    if selected.len() > MAX_OPTIONS {
        return Err(UserError::invalid(
            field,
            format!("A variant selects at most {MAX_OPTIONS} options"),
        ));
    }
    selected
        .iter()
        .map(|option| {
            Ok((
                parse_label(&option.name, "An option name", field)?,
                parse_label(&option.value, "An option value", field)?,
            ))
        })
        .collect()
}

/// A new product's options, each name and value checked; names unique,
/// values unique within their option.
pub fn parse_options(
    options: &[ProductOptionInput],
    field: &[&str],
) -> Result<Vec<(String, Vec<String>)>, UserError> {
    let at = |rest: &[String]| {
        let mut path: Vec<String> = field.iter().map(|part| part.to_string()).collect();
        path.extend_from_slice(rest);
        path
    };
    if options.len() > MAX_OPTIONS {
        return Err(UserError::new(
            &at(&[]),
            UserErrorCode::TooMany,
            format!("A product has at most {MAX_OPTIONS} options"),
        ));
    }
    let mut parsed: Vec<(String, Vec<String>)> = Vec::with_capacity(options.len());
    for (index, option) in options.iter().enumerate() {
        let index = index.to_string();
        let name_field = at(&[index.clone(), "name".to_owned()]);
        let name = parse_label(&option.name, "An option name", &name_field)?;
        if parsed.iter().any(|(other, _)| *other == name) {
            return Err(UserError::invalid(
                &name_field,
                format!("Two options are named \u{201c}{name}\u{201d}"),
            ));
        }
        let values_field = at(&[index, "values".to_owned()]);
        if option.values.is_empty() || option.values.len() > MAX_OPTION_VALUES {
            return Err(UserError::invalid(
                &values_field,
                format!("An option has 1 to {MAX_OPTION_VALUES} values"),
            ));
        }
        let mut values: Vec<String> = Vec::with_capacity(option.values.len());
        for value in &option.values {
            let value = parse_label(value, "An option value", &values_field)?;
            if values.contains(&value) {
                return Err(UserError::invalid(
                    &values_field,
                    format!("\u{201c}{name}\u{201d} lists \u{201c}{value}\u{201d} twice"),
                ));
            }
            values.push(value);
        }
        parsed.push((name, values));
    }
    Ok(parsed)
}
