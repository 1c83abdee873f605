//! What the customer module batch-loads: customers by id.

use entity::customer;

use crate::schema::loaders::by_id_loader;

by_id_loader!(CustomerById, customer);
