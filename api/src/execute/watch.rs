//! Watching one row: what `cartUpdated`, `productUpdated` and
//! `orderUpdated` share. The subscription listens for the row's event
//! before it looks the row up (so no change slips between the two), checks
//! the caller may see it (an unknown row and another customer's read the
//! same: an error naming the argument), then reads the row again at each
//! event and ends when it is gone or the caller may no longer see it (a
//! guest cart that joined an account). Every read passes
//! [`SubscriptionReads`] (a permit and the request timeout, in a task of
//! its own), and the stream holds nothing between events.

use async_graphql::Context;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{DatabaseConnection, EntityTrait, PrimaryKeyTrait};

use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::execute::SubscriptionReads;
use crate::store::events::{Event, Events};

/// The row `key` of `E` each time `event` fires, while it exists; refused
/// with "`argument` names no …" unless it exists and `visible` says the
/// caller may see it.
pub async fn row<E>(
    ctx: &Context<'_>,
    event: Event,
    key: i64,
    argument: &str,
    visible: impl Fn(&E::Model) -> bool + Send + Sync + 'static,
) -> Result<BoxStream<'static, ApiResult<E::Model>>, ApiError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let db = ctx.shared::<DatabaseConnection>()?.clone();
    let changes = ctx.shared::<Events>()?.subscribe(event);
    let reads = ctx.shared::<SubscriptionReads>()?.clone();
    let found = reads
        .run({
            let db = db.clone();
            async move { E::find_by_id(key).one(&db).await }
        })
        .await?;
    if !found.as_ref().is_some_and(&visible) {
        let what = E::default().table_name().to_owned();
        return Err(ApiError::bad_input(format!("`{argument}` names no {what}")));
    }
    let listening = reads.listening();
    Ok(changes
        .then(move |_| {
            // Counted while the stream (which owns this closure) lives.
            let _ = &listening;
            let (db, reads) = (db.clone(), reads.clone());
            async move {
                reads
                    .run(async move { E::find_by_id(key).one(&db).await })
                    .await
            }
        })
        // A deleted row, or one out of sight, ends the stream.
        .scan((), move |(), row| {
            std::future::ready(match row {
                Ok(Some(row)) if visible(&row) => Some(Ok(row)),
                Ok(_) => None,
                Err(err) => Some(Err(err)),
            })
        })
        .boxed())
}
