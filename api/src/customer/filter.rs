//! How `customers` lists are filtered and ordered.

use async_graphql::{Enum, ID, InputObject};
use entity::customer;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition};

use crate::error::ApiResult;
use crate::ids::NodeKind;
use crate::store::filter::{self, FilterInput};
use crate::store::pagination::{Order, OrderDirection, SortColumn};

/// Which customers to list. Every field given must hold; `and`, `or` and
/// `not` combine further filters (at most 5 deep, 50 conditions in all).
#[derive(InputObject, Debug, Default)]
pub struct CustomerFilter {
    /// Only the customers with these IDs (at most 1,000 IDs over the whole filter).
    pub ids: Option<Vec<ID>>,
    /// Only the customer with this email address, ignoring case.
    pub email: Option<String>,
    /// Only customers whose email address contains this text, ignoring case.
    pub email_contains: Option<String>,
    /// Only customers whose name contains this text, ignoring case
    /// (on SQLite, case is ignored for ASCII letters only).
    pub name_contains: Option<String>,
    /// Only customers that match every one of these filters.
    pub and: Option<Vec<CustomerFilter>>,
    /// Only customers that match at least one of these filters (an empty
    /// list matches nothing).
    pub or: Option<Vec<CustomerFilter>>,
    /// Only customers that do not match this filter.
    pub not: Option<Box<CustomerFilter>>,
}

/// One checked condition of a [`CustomerFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerCondition {
    Ids(Vec<i64>),
    /// Emails are stored in lower case, so this is an exact match.
    Email(String),
    EmailContains(String),
    NameContains(String),
}

impl FilterInput for CustomerFilter {
    type Condition = CustomerCondition;

    fn ids_listed(&self) -> usize {
        self.ids.as_ref().map_or(0, Vec::len)
    }

    fn conditions(&self, conditions: &mut Vec<CustomerCondition>) -> ApiResult<()> {
        if let Some(ids) = &self.ids {
            let keys = filter::keys(ids, NodeKind::Customer, "ids")?;
            conditions.push(CustomerCondition::Ids(keys));
        }
        if let Some(email) = &self.email {
            let email = filter::search_text(email.trim(), "email")?;
            conditions.push(CustomerCondition::Email(email));
        }
        if let Some(text) = &self.email_contains {
            let needle = filter::search_text(text, "emailContains")?;
            conditions.push(CustomerCondition::EmailContains(needle));
        }
        if let Some(text) = &self.name_contains {
            let needle = filter::search_text(text, "nameContains")?;
            conditions.push(CustomerCondition::NameContains(needle));
        }
        Ok(())
    }

    filter::combinators!();
}

impl CustomerCondition {
    fn to_expr(&self) -> Expr {
        use customer::Column;
        match self {
            CustomerCondition::Ids(ids) => Column::Id.is_in(ids.iter().copied()),
            CustomerCondition::Email(email) => Column::Email.eq(email.as_str()),
            CustomerCondition::EmailContains(needle) => {
                filter::contains_ignoring_case(Column::Email, needle)
            }
            CustomerCondition::NameContains(needle) => {
                filter::contains_ignoring_case(Column::Name, needle)
            }
        }
    }
}

/// The SQL condition of an optional filter (none: every customer).
pub fn condition(filter: Option<&CustomerFilter>) -> ApiResult<Condition> {
    Ok(match filter {
        Some(filter) => filter::parse(filter)?.to_condition(&CustomerCondition::to_expr),
        None => Condition::all(),
    })
}

/// How to order customers.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct CustomerOrder {
    /// What to sort by; customers that tie are ordered by ID.
    pub field: CustomerOrderField,
    /// Which way to sort; ascending by default.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What customers can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerOrderField {
    /// By name, in the database's collation (byte order on SQLite).
    Name,
    /// By email address.
    Email,
    /// By creation time.
    CreatedAt,
}

/// The ordering `customers` uses: by ID (creation order) unless asked.
pub fn order(order: Option<CustomerOrder>) -> Order<customer::Column> {
    let Some(order) = order else {
        return Order::by_id(customer::Column::Id);
    };
    let column = match order.field {
        CustomerOrderField::Name => SortColumn::text(customer::Column::Name),
        CustomerOrderField::Email => SortColumn::text(customer::Column::Email),
        CustomerOrderField::CreatedAt => SortColumn::time(customer::Column::CreatedAt),
    };
    Order::new(customer::Column::Id, column, order.direction)
}
