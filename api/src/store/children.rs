//! Loaders for the simplest nested lists: the rows of a table that belong
//! to a parent by one of their columns (a product's images, the links of a
//! product to its collections). Pages of many parents load with one
//! statement per distinct page ([`Page::fetch_per_parent`]); their counts
//! with one grouped `COUNT`.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use super::batch::BatchLoad;
use super::pagination::{Page, Slice};

/// One parent's page of children.
#[derive(Debug, Clone)]
pub struct ChildPage<C: ColumnTrait> {
    pub parent: i64,
    pub page: Page<C>,
}

// By hand: a derive would ask the column type itself to be `Hash` and `Eq`,
// which SeaORM's columns are not; `Page` is both.
impl<C: ColumnTrait> PartialEq for ChildPage<C> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.page == other.page
    }
}

impl<C: ColumnTrait> Eq for ChildPage<C> {}

impl<C: ColumnTrait> Hash for ChildPage<C> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.page.hash(state);
    }
}

/// Loads pages of the rows of `E` whose `parent` column names their parent.
pub struct PagesByParent<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    entity: PhantomData<fn() -> E>,
}

impl<E: EntityTrait> PagesByParent<E> {
    pub fn new(db: &DatabaseConnection, parent: E::Column) -> Self {
        PagesByParent {
            db: db.clone(),
            parent,
            entity: PhantomData,
        }
    }
}

impl<E> BatchLoad for PagesByParent<E>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Clone + Send + Sync,
    E::Column: Send + Sync,
{
    type Key = ChildPage<E::Column>;
    type Value = Arc<Slice<E::Model, E::Column>>;

    async fn load(&self, keys: Vec<Self::Key>) -> Result<HashMap<Self::Key, Self::Value>, DbErr> {
        let mut groups: HashMap<Page<E::Column>, Vec<i64>> = HashMap::new();
        for key in keys {
            groups.entry(key.page).or_default().push(key.parent);
        }
        let mut pages = HashMap::new();
        for (page, parents) in groups {
            let slices = page
                .fetch_per_parent(&self.db, E::find(), self.parent, &parents)
                .await?;
            for (parent, slice) in slices {
                let key = ChildPage {
                    parent,
                    page: page.clone(),
                };
                pages.insert(key, Arc::new(slice));
            }
        }
        Ok(pages)
    }
}

/// Counts the rows of `E` per parent (by its `parent` column).
pub struct CountByParent<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    entity: PhantomData<fn() -> E>,
}

impl<E: EntityTrait> CountByParent<E> {
    pub fn new(db: &DatabaseConnection, parent: E::Column) -> Self {
        CountByParent {
            db: db.clone(),
            parent,
            entity: PhantomData,
        }
    }
}

impl<E> BatchLoad for CountByParent<E>
where
    E: EntityTrait,
    E::Column: Send + Sync,
{
    type Key = i64;
    type Value = u64;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, u64>, DbErr> {
        let counts: Vec<(i64, i64)> = E::find()
            .select_only()
            .column(self.parent)
            .column_as(self.parent.count(), "count")
            .filter(self.parent.is_in(keys.iter().copied()))
            .group_by(self.parent)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut per_parent: HashMap<i64, u64> = keys.iter().map(|key| (*key, 0)).collect();
        for (parent, count) in counts {
            per_parent.insert(parent, u64::try_from(count).unwrap_or(0));
        }
        Ok(per_parent)
    }
}
