// Subscribes to cartUpdated with a given token and prints what happened:
// the first event, or the error the server sent.
// Usage: node subscribe-denied.mjs <ws URL> <token> <cart ID>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, cartId] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
});
const outcome = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve({ timeout: true }), 5_000);
  client.subscribe(
    { query: 'subscription($id: ID!) { cartUpdated(cartId: $id) { id } }', variables: { id: cartId } },
    {
      next: (result) => { clearTimeout(timer); resolve({ next: result }); },
      error: (errors) => { clearTimeout(timer); resolve({ error: errors }); },
      complete: () => { clearTimeout(timer); resolve({ complete: true }); },
    },
  );
});
await client.dispose();
console.log(JSON.stringify(outcome));
