//! Watching one row: what `cartUpdated`, `productUpdated` and
//! `orderUpdated` share. The subscription listens for the row's event
//! before it looks the row up (so no change slips between the two), checks
//! the caller may see it (an unknown row and another customer's read the
//! same: an error naming the argument), then reads the row again at each
//! event and ends when it is gone or the caller may no longer see it (a
//! guest cart that joined an account). Every read passes
//! [`SubscriptionReads`] (a permit and the request timeout, in a task of
//! its own), and the stream holds nothing between events.
//!
//! Each event runs the subscription's selection again, so each is charged
//! like a request: the subscription's estimated cost, to the subscriber's
//! rate limit. When the allowance cannot pay, the event is an error
//! (`THROTTLED`) and the subscription ends. The complexity budget starts
//! again from the estimate at each event, so lists longer than estimated
//! are charged per event rather than summed over the subscription's life.

use async_graphql::Context;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{DatabaseConnection, EntityTrait, PrimaryKeyTrait};

use crate::context::Shared;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::execute::SubscriptionReads;
use crate::execute::limits::Budget;
use crate::execute::throttle::Allowance;
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
    let budget = ctx.data_opt::<Budget>().cloned();
    // Spent by validation before the first resolver ran: the estimate.
    let estimate = budget.as_ref().map_or(0, Budget::spent);
    let allowance = ctx.data_opt::<Allowance>().cloned();
    Ok(changes
        .then(move |_| {
            // Counted while the stream (which owns this closure) lives.
            let _ = &listening;
            if let Some(budget) = &budget {
                budget.reset(estimate);
            }
            let paid = match &allowance {
                Some(allowance) => allowance.admit(estimate),
                None => Ok(()),
            };
            let (db, reads) = (db.clone(), reads.clone());
            async move {
                if let Err(wait) = paid {
                    return Delivery::Throttled(ApiError::Refused(
                        ErrorCode::Throttled,
                        format!(
                            "This client's rate limit does not cover another event; subscribe again in {} s",
                            wait.as_secs().max(1)
                        ),
                    ));
                }
                match reads
                    .run(async move { E::find_by_id(key).one(&db).await })
                    .await
                {
                    Ok(row) => Delivery::Read(row),
                    Err(err) => Delivery::Failed(err),
                }
            }
        })
        // A deleted row, or one out of sight, ends the stream; so does an
        // event the subscriber cannot pay for, at once, after saying so.
        .flat_map(move |delivery| {
            let items = match delivery {
                Delivery::Read(Some(row)) if visible(&row) => vec![Some(Ok(row))],
                Delivery::Read(_) => vec![None],
                Delivery::Failed(err) => vec![Some(Err(err))],
                Delivery::Throttled(err) => vec![Some(Err(err)), None],
            };
            futures_util::stream::iter(items)
        })
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(std::future::ready)
        .boxed())
}

/// What one change event brings the subscriber.
enum Delivery<M> {
    Read(Option<M>),
    Failed(ApiError),
    Throttled(ApiError),
}
