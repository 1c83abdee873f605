//! What resolvers take from the schema and from the request, by type.
//!
//! The schema is built with its shared parts (the database, the event hub,
//! the currency, auth and passwords) and each request brings its own (the
//! loaders, the viewer); async-graphql finds them by type. One accessor for
//! all of them, so a part missing from the wiring is one internal error
//! with the type's name, never the client's fault and never a panic.

use std::any::Any;

use crate::error::ApiResult;

/// `ctx.shared::<T>()`: the `T` the schema or the request was given.
pub trait Shared<'a> {
    fn shared<T: Any + Send + Sync>(&self) -> ApiResult<&'a T>;
}

impl<'a> Shared<'a> for async_graphql::Context<'a> {
    fn shared<T: Any + Send + Sync>(&self) -> ApiResult<&'a T> {
        self.data::<T>().map_err(|_| {
            anyhow::anyhow!(
                "the schema or the request was built without its {}",
                std::any::type_name::<T>()
            )
            .into()
        })
    }
}
