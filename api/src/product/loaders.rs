//! What the product module batch-loads: products by id.

use entity::product;

use crate::schema::loaders::by_id_loader;

by_id_loader!(ProductById, product);
