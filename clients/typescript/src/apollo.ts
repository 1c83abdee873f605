// A storefront's first session with Apollo Client 4, as its users build it:
// InMemoryCache with the one type policy the README asks for (`Money`),
// the default error policy (any GraphQL error rejects), and the cache
// updated from mutation payloads without a refetch. A guest buys without
// an account: an email, an address, a shipping rate and a discount code,
// then the order, read back with its token. Another guest opens a cart
// and fills it (its token in `X-Cart-Token`) → signUp with the guest cart,
// asking for the email → change and remove lines → a saved address ships
// the cart → checkout → the order history → a guest cart on another
// device merged at logIn. Every
// warning or error Apollo logs is counted: the run must have none.
// Usage: npm run apollo -- http://127.0.0.1:8000/graphql (Apollo's
// development build, where its cache warnings live: node's `development`
// export condition).
import { strict as assert } from 'node:assert';
import { ApolloClient, HttpLink, InMemoryCache, type TypePolicies, type TypedDocumentNode } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print } from 'graphql';

import {
  AddToCartDocument,
  ApplyDiscountCodeDocument,
  CheckoutScreenDocument,
  ChooseShippingRateDocument,
  ConfigureCheckoutDocument,
  GuestOrderDocument,
  SaveAddressDocument,
  SetCartEmailDocument,
  ShipCartToDocument,
  CartScreenDocument,
  ChangeQuantityDocument,
  CreateProductDocument,
  LogInDocument,
  OpenCartDocument,
  OrderHistoryDocument,
  PlaceOrderDocument,
  RemoveFromCartDocument,
  SignUpDocument,
  StorefrontDocument,
} from './gql/graphql.js';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx src/apollo.ts <GraphQL endpoint URL>');
const adminToken = process.env.SHOPGRAPH_ADMIN_TOKEN;
if (!adminToken) throw new Error('set SHOPGRAPH_ADMIN_TOKEN to the server\'s admin token');

// Apollo's warnings in full, and every one of them counted.
loadDevMessages();
loadErrorMessages();
const logged: string[] = [];
for (const level of ['warn', 'error'] as const) {
  console[level] = (...args: unknown[]) => {
    logged.push(`${level}: ${args.map(String).join(' ')}`);
  };
}

// Every operation goes by the hash codegen wrote into its `__meta__`
// (the server's trusted documents list them), with the full text only if
// the server asks for it (Apollo's automatic persisted queries). A server
// in production with the manifest never needs the text, and would refuse
// any document codegen did not list.
const hashOf = (document: unknown): string => {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  assert(hash, 'codegen embeds each document\'s hash (persistedDocuments)');
  return hash;
};
let textsSent = 0;

// The shop's staff stock two products (not the storefront's job), over
// plain fetch with the same protocol.
const staffRequest = async <R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> => {
  const send = async (withText: boolean) => {
    const body = {
      variables,
      extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(document) } },
      ...(withText ? { query: print(document) } : {}),
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { data?: R; errors?: { extensions?: { code?: string } }[] };
  };
  let answer = await send(false);
  if (answer.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') {
    textsSent += 1;
    answer = await send(true);
  }
  assert(answer.data && !answer.errors, JSON.stringify(answer));
  return answer.data;
};
const suffix = Date.now().toString(36);
const stock = async (name: string, price: string) => {
  const created = await staffRequest(CreateProductDocument, { input: { name: `${name} ${suffix}`, price, stock: 20 } });
  assert(created.createProduct.product, 'a product');
  return created.createProduct.product;
};
const tea = await stock('Apollo tea', '4.50');
const pot = await stock('Apollo pot', '30.00');
// Where the shop ships, its tax, and a code for 10% off.
const code = `APOLLO${suffix}`.toUpperCase();
const configured = await staffRequest(ConfigureCheckoutDocument, {
  zone: { name: `Domestic ${suffix}`, countryCodes: ['US'], rates: [{ title: 'Standard', price: '4.90' }, { title: 'Express', price: '12.00' }] },
  tax: { countryCode: 'US', provinceCode: 'IL', rate: '6.25', title: 'IL State Tax' },
  code: { code, kind: 'PERCENTAGE', value: '10', usageLimit: 100 },
});
assert.deepEqual(
  [configured.createShippingZone.userErrors, configured.setTaxRate.userErrors, configured.createDiscountCode.userErrors],
  [[], [], []],
);
const illinois = { firstName: 'Grace', lastName: 'Hopper', address1: '1 Main St', city: 'Springfield', provinceCode: 'IL', zip: '62701', countryCode: 'US' } as const;

// The storefront: one client; a guest's cart token until signUp gives a
// bearer token.
let token: string | undefined;
let cartToken: string | undefined;
let requests = 0;
const link = new HttpLink({
  uri: url,
  fetch: (input, init) => {
    requests += 1;
    if (typeof init?.body === 'string' && 'query' in JSON.parse(init.body)) textsSent += 1;
    const headers = new Headers(init?.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (cartToken) headers.set('x-cart-token', cartToken);
    return fetch(input, { ...init, headers });
  },
});
// The type policies the README gives: `Money` merges into its parent (no
// ID, by design); a cart's `lines` are replaced by the server's list (Apollo
// warns whenever a list of objects shrinks without a merge policy, IDs or
// not); the query root is named `QueryRoot`, and `cart(id:)` reads the cart
// the cache already holds (a cache redirect), so a cart a mutation returned
// shows without a request.
const money: TypePolicies = { Money: { keyFields: false, merge: true } };
const typePolicies: TypePolicies = {
  ...money,
  // A cart's and an order's `cost` have no ID either: they merge into
  // their parent like `Money`; the lists of taxes and codes are replaced
  // whole, as `lines` are.
  CartCost: { keyFields: false, merge: true },
  OrderCost: { keyFields: false, merge: true },
  Cart: { fields: { lines: { merge: false }, taxLines: { merge: false }, discountCodes: { merge: false } } },
  QueryRoot: {
    queryType: true,
    fields: {
      cart: { read: (existing, { args, toReference }) => existing ?? toReference({ __typename: 'Cart', id: args?.id }) },
    },
  },
};
const persisted = new PersistedQueryLink({ generateHash: (document) => hashOf(document) });
const storefront = (policies: TypePolicies) =>
  new ApolloClient({ link: persisted.concat(link), cache: new InMemoryCache({ typePolicies: policies }) });
const client = storefront(typePolicies);

// A guest buys without an account: a cart, an email for the order, an
// address (its rates appear), a rate, a code; the cart's cost updates in
// the cache from each answer, and checkout charges exactly that.
const guestOpened = await client.mutate({ mutation: OpenCartDocument, variables: { lines: [{ productId: pot.id, quantity: 2 }] } });
const guestCartId = guestOpened.data?.createCart.cart?.id;
assert(guestCartId && guestOpened.data?.createCart.cartToken, 'a guest cart and its token');
cartToken = guestOpened.data.createCart.cartToken;
const emailed = await client.mutate({ mutation: SetCartEmailDocument, variables: { cartId: guestCartId, email: `guest-${suffix}@example.com` } });
assert.deepEqual(emailed.data?.setCartEmail.userErrors, []);
const addressed = await client.mutate({ mutation: ShipCartToDocument, variables: { cartId: guestCartId, address: illinois } });
assert.deepEqual(addressed.data?.setCartShippingAddress.userErrors, []);
const standard = addressed.data?.setCartShippingAddress.cart?.shippingRates.find((rate) => rate.title === 'Standard');
assert(standard, 'the address has rates');
const rated = await client.mutate({ mutation: ChooseShippingRateDocument, variables: { cartId: guestCartId, shippingRateId: standard.id } });
assert.deepEqual(rated.data?.selectCartShippingRate.userErrors, []);
const discounted = await client.mutate({ mutation: ApplyDiscountCodeDocument, variables: { cartId: guestCartId, code: code.toLowerCase() } });
assert.deepEqual(discounted.data?.applyCartDiscountCode.userErrors, []);
const checkoutScreen = client.readQuery({ query: CheckoutScreenDocument, variables: { id: guestCartId } })?.cart;
assert(checkoutScreen, 'the checkout screen reads from the cache');
assert.deepEqual(checkoutScreen.discountCodes, [{ __typename: 'CartDiscountCode', code, applicable: true, reason: null }]);
assert.equal(checkoutScreen.shippingRate?.title, 'Standard');
// 60.00 − 6.00 + 4.90 + 6.25% of 54.00 (3.375, half up: 3.38).
const showed = Object.fromEntries(
  (['subtotal', 'discount', 'shipping', 'tax', 'total'] as const).map((part) => [part, checkoutScreen.cost[part].amount]),
);
assert.deepEqual(showed, { subtotal: '60.00', discount: '6.00', shipping: '4.90', tax: '3.38', total: '62.28' });
const guestPlaced = await client.mutate({ mutation: PlaceOrderDocument, variables: { cartId: guestCartId, idempotencyKey: `guest-${suffix}` } });
assert.deepEqual(guestPlaced.data?.checkout.userErrors, []);
const guestOrder = guestPlaced.data?.checkout.order;
const orderToken = guestPlaced.data?.checkout.orderToken;
assert(guestOrder && orderToken, 'a guest order and its token');
assert.equal(guestOrder.cost.total.amount, showed.total, 'checkout charged what the cart showed');
assert.equal(guestOrder.shippingLine?.title, 'Standard');
assert.deepEqual(guestOrder.discountCodes.map((applied) => [applied.code, applied.applied]), [[code, true]]);
assert.deepEqual(guestOrder.taxLines.map((tax) => [tax.title, tax.rate, tax.amount.amount]), [['IL State Tax', '6.25', '3.38']]);
assert.equal(guestOrder.lines[0]?.discountAllocation.amount, '6.00');
cartToken = undefined;
const readBack = await client.query({ query: GuestOrderDocument, variables: { id: guestOrder.id, token: orderToken }, fetchPolicy: 'network-only' });
assert.equal(readBack.data?.order?.email, `guest-${suffix}@example.com`, 'the token reads the order, without an account');

// Another guest browses and fills a cart without an account.
const browsing = await client.query({ query: StorefrontDocument, variables: { first: 50 } });
assert.equal(browsing.data?.viewer, null, 'a guest is nobody yet');
assert(browsing.data?.products.nodes.some((product) => product.id === tea.id));
const opened = await client.mutate({ mutation: OpenCartDocument, variables: { lines: [{ productId: tea.id, quantity: 1 }] } });
const cartId = opened.data?.createCart.cart?.id;
assert(cartId, 'a guest cart');
const guestToken = opened.data?.createCart.cartToken;
assert(guestToken, 'its token, shown once');
cartToken = guestToken;

// What the cart screen shows, from the cache alone: each mutation's
// payload must have updated it.
const screen = () => {
  const read = client.readQuery({ query: CartScreenDocument, variables: { id: cartId } });
  assert(read?.cart, 'the cart is in the cache');
  return read.cart;
};
assert.equal(screen().totalQuantity, 1);
const filled = await client.mutate({
  mutation: AddToCartDocument,
  variables: { cartId, lines: [{ productId: pot.id, quantity: 2 }, { productId: tea.id, quantity: 1 }] },
});
assert.deepEqual(filled.data?.addCartLines.userErrors, []);
assert.equal(screen().totalQuantity, 4);

// Checking out needs an account: the guest signs up with the cart.
const signedUp = await client.mutate({
  mutation: SignUpDocument,
  variables: {
    input: { email: `apollo-${suffix}@example.com`, name: 'Apollo Shopper', password: 'a long password' },
    guestCart: { cartId, cartToken: guestToken },
  },
});
const account = signedUp.data?.signUp;
assert.deepEqual(account?.userErrors, []);
assert(account?.token, 'a token');
assert.equal(account.customer?.email, `apollo-${suffix}@example.com`, 'signUp answers the new customer\'s email');
assert.equal(account.cart?.id, cartId, 'the guest cart is now the customer\'s');
token = account.token;
cartToken = undefined;
const home = await client.query({ query: StorefrontDocument, variables: { first: 50 }, fetchPolicy: 'network-only' });
assert.equal(home.data?.viewer?.id, account.customer?.id);
const screenAfterSignUp = screen();
assert.equal(screenAfterSignUp.totalQuantity, 4);
assert.equal(screenAfterSignUp.subtotal.amount, '69.00');

const steps = [
  { mutation: ChangeQuantityDocument, variables: { cartId, productId: tea.id, quantity: 5 },
    expect: { totalQuantity: 7, lines: 2, subtotal: '82.50' } },
  { mutation: RemoveFromCartDocument, variables: { cartId, productId: pot.id },
    expect: { totalQuantity: 5, lines: 1, subtotal: '22.50' } },
] as const;
for (const step of steps) {
  // The documents differ in their payload's name, not in their cart.
  const result = await client.mutate({ mutation: step.mutation as typeof ChangeQuantityDocument, variables: step.variables as never });
  const payload = Object.entries(result.data ?? {}).find(([key]) => key !== '__typename')?.[1] as
    | { userErrors: unknown[] }
    | undefined;
  assert.deepEqual(payload?.userErrors, []);
  const cart = screen();
  assert.equal(cart.totalQuantity, step.expect.totalQuantity);
  assert.equal(cart.lines.length, step.expect.lines);
  assert.equal(cart.subtotal.amount, step.expect.subtotal);
}

// The customer saves an address; the storefront ships the cart there and
// picks the cheapest rate.
const saved = await client.mutate({ mutation: SaveAddressDocument, variables: { address: illinois } });
assert.deepEqual(saved.data?.createCustomerAddress.userErrors, []);
assert.equal(saved.data?.createCustomerAddress.customer?.defaultAddress?.id, saved.data?.createCustomerAddress.address?.id, 'the first address is the default');
const { id: _savedId, __typename: _savedType, ...savedAddress } = saved.data!.createCustomerAddress.address!;
const shipped = await client.mutate({ mutation: ShipCartToDocument, variables: { cartId, address: { ...savedAddress, countryCode: 'US' } } });
const cheapest = shipped.data?.setCartShippingAddress.cart?.shippingRates[0];
assert.equal(cheapest?.title, 'Standard');
await client.mutate({ mutation: ChooseShippingRateDocument, variables: { cartId, shippingRateId: cheapest.id } });

const before = requests;
const placed = await client.mutate({ mutation: PlaceOrderDocument, variables: { cartId, idempotencyKey: `apollo-${suffix}` } });
assert.deepEqual(placed.data?.checkout.userErrors, []);
assert(screen().checkedOutAt, 'the cache shows the cart checked out');
const again = await client.query({ query: CartScreenDocument, variables: { id: cartId }, fetchPolicy: 'cache-only' });
assert.equal(again.data?.cart?.lines[0]?.quantity, 5);
assert.equal(requests, before + 1, 'checkout took one request, and the screen no refetch');

// The order history: the order just placed, as it was sold.
const order = placed.data?.checkout.order;
assert(order, 'checkout placed an order');
assert.equal(order.status, 'PLACED');
assert.equal(order.subtotal.amount, '22.50');
// 22.50 + 4.90 + 6.25% of 22.50 (1.40625: 1.41).
assert.equal(order.cost.total.amount, '28.81');
assert.equal(order.shippingAddress?.city, 'Springfield');
const history = await client.query({ query: OrderHistoryDocument, variables: { first: 10 } });
const orders = history.data?.viewer?.orders;
assert.equal(orders?.totalCount, 1);
assert.equal(orders?.nodes[0]?.number, order.number);
assert.deepEqual(orders?.nodes[0]?.lines.map((line) => [line.productName, line.quantity, line.total.amount]), [[tea.name, 5, '22.50']]);

// On another device the customer, logged out, fills a guest cart; their
// account has a cart open elsewhere. Logging in with the guest cart merges
// it into that one.
const elsewhere = await client.mutate({ mutation: OpenCartDocument, variables: { lines: [{ productId: tea.id, quantity: 1 }] } });
const openCart = elsewhere.data?.createCart.cart?.id;
assert(openCart && !elsewhere.data?.createCart.cartToken, 'a logged-in customer\'s own cart needs no token');
const device = storefront(typePolicies);
token = undefined;
const guestCart = (await device.mutate({ mutation: OpenCartDocument, variables: { lines: [{ productId: pot.id, quantity: 1 }] } })).data?.createCart;
assert(guestCart?.cart && guestCart.cartToken);
const loggedIn = await device.mutate({
  mutation: LogInDocument,
  variables: { email: account.customer.email, password: 'a long password', guestCart: { cartId: guestCart.cart.id, cartToken: guestCart.cartToken } },
});
assert.deepEqual(loggedIn.data?.logIn.userErrors, []);
assert.equal(loggedIn.data?.logIn.cart?.id, openCart, 'merged into the open cart');
assert.deepEqual(loggedIn.data?.logIn.cart?.lines.map((line) => [line.product.name, line.quantity]), [[tea.name, 1], [pot.name, 1]]);
assert(loggedIn.data?.logIn.token);
token = loggedIn.data.logIn.token;

// A product in sizes: the shopper buys the variant they pick, and the
// cart line's variant is normalised in the cache under its own ID.
const tee = (
  await staffRequest(CreateProductDocument, {
    input: {
      name: `Apollo tee ${suffix}`,
      options: [{ name: 'Size', values: ['S', 'M'] }],
      variants: [
        { price: '20.00', stock: 5, selectedOptions: [{ name: 'Size', value: 'S' }] },
        { price: '22.00', stock: 5, selectedOptions: [{ name: 'Size', value: 'M' }] },
      ],
    },
  })
).createProduct.product;
const medium = tee?.variants.nodes.find((variant) => variant.title === 'M');
assert(medium, 'the M variant');
const withTee = await device.mutate({ mutation: AddToCartDocument, variables: { cartId: openCart, lines: [{ variantId: medium.id, quantity: 1 }] } });
assert.deepEqual(withTee.data?.addCartLines.userErrors, []);
const teeLine = withTee.data?.addCartLines.cart?.lines.find((line) => line.variant.id === medium.id);
assert.equal(teeLine?.variant.title, 'M');
assert.equal(teeLine?.cost.amount, '22.00');
const cached = device.cache.extract() as Record<string, { title?: string }>;
assert.equal(cached[`ProductVariant:${medium.id}`]?.title, 'M', 'the variant is normalised by its ID');

// The counter is real: without the `lines` policy, removing a line makes
// Apollo warn ("Cache data may be lost when replacing the lines field of a
// Cart object"), IDs or not. (Apollo warns once per field and process, so
// this runs last.)
const logsOfTheRun = [...logged];
const careless = storefront(money);
const otherCart = (await careless.mutate({
  mutation: OpenCartDocument,
  variables: { customerId: account.customer.id, lines: [{ productId: tea.id, quantity: 1 }, { productId: pot.id, quantity: 1 }] },
})).data?.createCart.cart?.id;
assert(otherCart, 'another cart');
await careless.mutate({ mutation: RemoveFromCartDocument, variables: { cartId: otherCart, productId: pot.id } });
const canary = logged.slice(logsOfTheRun.length);

console.log(JSON.stringify({ ok: true, requests, textsSent, logged: logsOfTheRun, canary }));
