// Runs the typed operations against a live server and checks the answers:
// the proof that a codegen client works end to end. Every result below is
// typed from schema.graphql; a field the API dropped or retyped fails `tsc`.
// Usage: tsx src/check.ts http://127.0.0.1:8000/graphql [--by-hash]
// With --by-hash every document goes by the hash codegen wrote into its
// `__meta__` and never as text, as against a production server that runs
// only its trusted documents: queries and mutations as `documentId`
// (GraphQL over HTTP's persisted documents), the subscription as
// `extensions.persistedQuery` over graphql-ws.
import { strict as assert } from 'node:assert';
import type { TypedDocumentNode } from '@apollo/client';
import { print } from 'graphql';
import { GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  AddCartLinesDocument,
  CartWithLinesDocument,
  CreateCartDocument,
  CreateCustomerDocument,
  CreateProductDocument,
  ListProductsDocument,
  ProductUpdatedDocument,
  type ProductUpdatedSubscription,
  UpdateProductDocument,
} from './gql/graphql.js';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx src/check.ts <GraphQL endpoint URL>');
// Creating products takes staff rights: SHOPGRAPH_ADMIN_TOKEN.
const adminToken = process.env.SHOPGRAPH_ADMIN_TOKEN;
if (!adminToken) throw new Error('set SHOPGRAPH_ADMIN_TOKEN to the server\'s admin token');
const byHash = process.argv.includes('--by-hash');
const hashOf = (document: unknown): string => {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  assert(hash, 'codegen embeds each document\'s hash (persistedDocuments)');
  return hash;
};
const texts = new GraphQLClient(url, { headers: { Authorization: `Bearer ${adminToken}` } });
// One typed request, by text or by `documentId`.
const client = {
  async request<R, V extends object>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    if (!byHash) return texts.request<R>(document as TypedDocumentNode<R, object>, variables);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ documentId: hashOf(document), variables }),
    });
    const answer = (await response.json()) as { data?: R; errors?: unknown[] };
    assert(answer.data && !answer.errors, JSON.stringify(answer));
    return answer.data;
  },
};
const suffix = Date.now().toString(36);

const created = await client.request(CreateProductDocument, {
  input: { name: `Typed teapot ${suffix}`, price: '19.50', stock: 5 },
});
assert.deepEqual(created.createProduct.userErrors, []);
const product = created.createProduct.product;
assert(product, 'a product');

const refused = await client.request(CreateProductDocument, {
  input: { name: '', price: '-1', stock: 1 },
});
assert.equal(refused.createProduct.product, null);
const codes = refused.createProduct.userErrors.map((error) => error.code);
assert(codes.includes('INVALID'), `typed user errors: ${codes}`);

const customer = (
  await client.request(CreateCustomerDocument, {
    input: { email: `typed-${suffix}@example.com`, name: 'Typed Client' },
  })
).createCustomer.customer;
assert(customer, 'a customer');
const cart = (await client.request(CreateCartDocument, { customerId: customer.id })).createCart.cart;
assert(cart, 'a cart');

const added = await client.request(AddCartLinesDocument, {
  cartId: cart.id,
  lines: [{ productId: product.id, quantity: 2 }],
});
assert.deepEqual(added.addCartLines.userErrors, []);
assert.equal(added.addCartLines.cart?.totalQuantity, 2);

const read = await client.request(CartWithLinesDocument, { id: cart.id });
assert.equal(read.cart?.customer?.email, customer.email);
assert.equal(read.cart?.subtotal.amount, '39.00');
assert.equal(read.cart?.lines[0]?.product.name, product.name);
assert.equal(read.cart?.lines[0]?.cost.amount, '39.00');

const listed = await client.request(ListProductsDocument, {
  filter: { nameContains: suffix, inStock: true },
  orderBy: { field: 'PRICE', direction: 'DESC' },
  first: 10,
});
assert.equal(listed.products.totalCount, 1);
assert.equal(listed.products.aggregate.price.max?.amount, '19.50');
assert.equal(listed.products.nodes[0]?.id, product.id);

// A subscription: the product's next change arrives over WebSocket.
const ws = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${adminToken}` },
});
const next = new Promise<ProductUpdatedSubscription>((resolve, reject) => {
  const stop = ws.subscribe<ProductUpdatedSubscription>(
    byHash
      ? {
          query: '',
          variables: { productId: product.id },
          extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(ProductUpdatedDocument) } },
        }
      : { query: print(ProductUpdatedDocument), variables: { productId: product.id } },
    {
      next: (result) => {
        if (result.data) {
          stop();
          resolve(result.data);
        }
      },
      error: reject,
      complete: () => reject(new Error('the subscription ended early')),
    },
  );
});
// The protocol acknowledges no subscription: wait until the server's
// /health counts it as listening, then change the product.
const health = new URL('/health', url);
for (let tries = 0; ; tries += 1) {
  const { subscriptions } = (await (await fetch(health)).json()) as { subscriptions: number };
  if (subscriptions >= 1) break;
  if (tries > 500) throw new Error('the subscription was not listening after 10 s');
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await client.request(UpdateProductDocument, { id: product.id, input: { stock: 4 } });
const event = await next;
assert.equal(event.productUpdated.stock, 4);
await ws.dispose();

// A query by GET, as a CDN would cache it: `documentId` in the URL.
if (byHash) {
  const get = new URL(url);
  get.searchParams.set('documentId', hashOf(ListProductsDocument));
  get.searchParams.set('variables', JSON.stringify({ filter: { nameContains: suffix }, first: 10 }));
  const answer = (await (await fetch(get)).json()) as { data?: { products: { totalCount: number } } };
  assert.equal(answer.data?.products.totalCount, 1, JSON.stringify(answer));
}

console.log(JSON.stringify({ ok: true, byHash, product: product.id, cart: cart.id }));
