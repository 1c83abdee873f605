// Subscribes with the graphql-ws client (graphql-transport-ws protocol) to
// cartUpdated and productUpdated on one server, makes changes through
// another (or the same) server over HTTP, and prints what the subscriptions
// received as one JSON object.
// Usage: node subscribe.mjs <ws URL to watch> <HTTP URL to change through> <cart ID> <product ID>
// The bearer token, if any, comes from SHOPGRAPH_TOKEN.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [watchUrl, changeUrl, cartId, productId] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const token = process.env.SHOPGRAPH_TOKEN;
const authorization = token ? { Authorization: `Bearer ${token}` } : {};

async function change(query, variables) {
  const response = await fetch(changeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function listening(count) {
  const health = new URL('/health', watchUrl.replace(/^ws/, 'http'));
  for (let i = 0; i < 1000; i++) {
    const body = await (await fetch(health)).json();
    if (body.subscriptions >= count) return;
    await sleep(10);
  }
  throw new Error(`fewer than ${count} subscriptions listening after 10 s`);
}

// Waiters on the number of events a list holds: resolved by `watch` as
// events arrive, so a test waits for the event itself, not a fixed time.
const waiters = [];
function received(into, count, ms) {
  if (into.length >= count) return Promise.resolve(true);
  return new Promise((resolve) => {
    // The deadline is cleared once the events came, so it keeps nothing
    // waiting after.
    const timer = setTimeout(() => resolve(false), ms);
    waiters.push({ into, count, resolve: (done) => { clearTimeout(timer); resolve(done); } });
  });
}

function watch(client, query, variables, into) {
  return new Promise((resolve, reject) => {
    client.subscribe({ query, variables }, {
      next: (result) => {
        into.push(result);
        for (const waiter of waiters) {
          if (waiter.into === into && into.length >= waiter.count) waiter.resolve(true);
        }
      },
      error: reject,
      complete: resolve,
    });
  });
}

const client = createClient({
  url: watchUrl,
  webSocketImpl: WebSocket,
  lazy: false,
  connectionParams: authorization,
});
const cartEvents = [];
const productEvents = [];
const cartDone = watch(client, `subscription($id: ID!) {
  cartUpdated(cartId: $id) { id totalQuantity lines { quantity cost { amount } product { name } } }
}`, { id: cartId }, cartEvents);
const productDone = watch(client, `subscription($id: ID!) {
  productUpdated(productId: $id) { id price { amount } stock }
}`, { id: productId }, productEvents);
productDone.catch(() => {});

// The protocol does not acknowledge a subscription: wait until the
// watching server's /health counts both as listening.
await listening(2);
await change(`mutation($cart: ID!, $product: ID!) {
  addCartLines(cartId: $cart, lines: [{ productId: $product, quantity: 2 }]) { userErrors { code } }
}`, { cart: cartId, product: productId });
// Each event reads the cart as it is when it runs: the added line's is
// heard before the price changes, so it shows the old price.
await received(cartEvents, 1, 15_000);
await change(`mutation($product: ID!) {
  updateProduct(id: $product, input: { price: "9.99", stock: 7 }) { userErrors { code } }
}`, { product: productId });
// A new price reaches the carts holding the product: wait for that event
// before the cart goes.
await received(cartEvents, 2, 15_000);
await change(`mutation($cart: ID!) { deleteCart(id: $cart) { deletedId } }`, { cart: cartId });

// Deleting the cart ends its subscription; the product one stays open.
let timer;
const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); });
const cartEnded = await Promise.race([cartDone.then(() => 'completed'), timeout]);
clearTimeout(timer);
for (let i = 0; i < 100 && productEvents.length === 0; i++) await sleep(50);
await client.dispose();
console.log(JSON.stringify({ cartEnded, cartEvents, productEvents }));
