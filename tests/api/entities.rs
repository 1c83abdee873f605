//! The SeaORM entities agree with the migrated schema, and their relations
//! navigate it: customer → carts, cart ↔ variants through `cart_line`,
//! variant → product.

use entity::{cart, customer, product, product_variant};
use sea_orm::{EntityTrait, ModelTrait, QueryOrder};

use crate::support::engine_tests;

engine_tests! {
    async fn entities_read_what_the_api_wrote_and_follow_their_relations(app) {
        let mug = app.create_product("Mug", "12.50", 10).await;
        let pot = app.create_product("Pot", "30.00", 10).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        app.create_cart(&ada, &[(&mug, 2), (&pot, 1)]).await;
        app.create_cart(&ada, &[(&pot, 3)]).await;

        let db = app.db().await;
        let ada = customer::Entity::find().one(&db).await.unwrap().expect("a customer");
        let carts = ada.find_related(cart::Entity).order_by_asc(cart::Column::Id).all(&db).await.unwrap();
        assert_eq!(carts.len(), 2);

        let in_first: Vec<String> = carts[0]
            .find_related(product_variant::Entity)
            .find_also_related(product::Entity)
            .order_by_asc(product_variant::Column::Id)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, product)| product.unwrap().name)
            .collect();
        assert_eq!(in_first, ["Mug", "Pot"]);

        let pot = product::Entity::find().order_by_desc(product::Column::Id).one(&db).await.unwrap().unwrap();
        assert_eq!((pot.price, pot.stock), (3000, 10));
        let pot_variant = pot.find_related(product_variant::Entity).one(&db).await.unwrap().unwrap();
        assert_eq!((pot_variant.title.as_str(), pot_variant.price, pot_variant.stock), ("Default Title", 3000, 10));
        let carts_with_pot = pot_variant.find_related(cart::Entity).all(&db).await.unwrap();
        assert_eq!(carts_with_pot.len(), 2, "the many-to-many works both ways");

        let with_products = cart::Entity::find()
            .find_with_related(product_variant::Entity)
            .all(&db)
            .await
            .unwrap();
        let sizes: Vec<usize> = with_products.iter().map(|(_, products)| products.len()).collect();
        assert_eq!(sizes, [2, 1]);
        db.close().await.unwrap();
    }
}
