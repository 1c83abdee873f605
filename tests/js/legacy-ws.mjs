// Speaks the legacy `graphql-ws` subprotocol (subscriptions-transport-ws)
// by hand: connection_init, start a productUpdated subscription, change the
// product over HTTP, and print the first data message.
// Usage: node legacy-ws.mjs <ws URL> <HTTP URL> <product ID>
import WebSocket from 'ws';

const [wsUrl, httpUrl, productId] = process.argv.slice(2);
const socket = new WebSocket(wsUrl, 'graphql-ws');
const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 10_000);
socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
socket.on('message', async (raw) => {
  const message = JSON.parse(raw.toString());
  if (message.type === 'connection_ack') {
    socket.send(JSON.stringify({
      id: '1',
      type: 'start',
      payload: {
        query: 'subscription($id: ID!) { productUpdated(productId: $id) { stock } }',
        variables: { id: productId },
      },
    }));
    // The protocol does not acknowledge a subscription: wait until the
    // server's /health counts it as listening.
    const health = new URL('/health', wsUrl.replace(/^ws/, 'http'));
    while ((await (await fetch(health)).json()).subscriptions < 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await fetch(httpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(process.env.SHOPGRAPH_TOKEN ? { Authorization: `Bearer ${process.env.SHOPGRAPH_TOKEN}` } : {}),
      },
      body: JSON.stringify({
        query: 'mutation($id: ID!) { updateProduct(id: $id, input: { stock: 9 }) { userErrors { code } } }',
        variables: { id: productId },
      }),
    });
  } else if (message.type === 'data') {
    console.log(JSON.stringify({ protocol: socket.protocol, data: message.payload.data }));
    clearTimeout(timer);
    socket.close();
  } else if (message.type === 'error' || message.type === 'connection_error') {
    console.error(JSON.stringify(message));
    process.exit(1);
  }
});
