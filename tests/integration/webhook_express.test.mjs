// sio-server with a hub whose eventHandlers point at a real
// @azure/web-pubsub-express WebPubSubEventHandler app (express) on 127.0.0.1:
// abuse protection, connect accept / 401 reject, connected, user events
// answered with an ack through res.success(...), and disconnected.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { WebPubSubEventHandler } from '@azure/web-pubsub-express';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, sleep } from './support/clients.mjs';

/** Waits until pred() holds (bounded). */
async function until(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('webhook to @azure/web-pubsub-express', { timeout: 60000 }, () => {
  const seen = { connect: [], connected: [], disconnected: [], user: [] };
  let app;
  let upstream;
  let srv;

  before(async () => {
    const handler = new WebPubSubEventHandler('chat', {
      path: '/api/webpubsub/hubs/chat/',
      handleConnect(req, res) {
        seen.connect.push(req);
        if (req.auth?.deny) res.fail(401, 'denied by upstream');
        else res.success();
      },
      onConnected(req) { seen.connected.push(req); },
      onDisconnected(req) { seen.disconnected.push(req); },
      handleUserEvent(req, res) {
        seen.user.push(req);
        // Body: the Engine.IO packet `42[/ns,][id][...]`; answer an ack.
        const m = /^42(?:(\/[^,]*),)?(\d+)?(\[.*)$/s.exec(req.data);
        if (!m || m[2] === undefined) { res.success(); return; }
        const args = JSON.parse(m[3]);
        const ack = `43${m[1] ? m[1] + ',' : ''}${m[2]}${JSON.stringify(['upstream got', ...args.slice(1)])}`;
        res.success(ack, 'text');
      },
    });
    app = express();
    app.use(handler.getMiddleware());
    await new Promise((resolve) => { upstream = app.listen(0, '127.0.0.1', resolve); });
    const port = upstream.address().port;
    srv = await startSioServer({
      hubs: {
        chat: {
          anonymousConnectPolicy: 'allow',
          eventHandlers: [{
            urlTemplate: `http://127.0.0.1:${port}/api/webpubsub/hubs/{hub}/{event}`,
            userEventPattern: '*',
            systemEvents: ['connect', 'connected', 'disconnected'],
          }],
        },
      },
    });
  });

  after(async () => {
    closeAll();
    await srv?.kill();
    upstream?.closeAllConnections?.();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve()));
  });

  it('connects through handleConnect and reports connected', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const s = await connectSocket(m, '/', { auth: { token: 'abc' } });
    assert.ok(s.id);
    await until(() => seen.connected.some((r) => r.context.connectionId === m.engine.id), 'connected');
    const c = seen.connect.find((r) => r.context.connectionId === m.engine.id);
    assert.ok(c, 'connect reached the upstream');
    assert.equal(c.context.hub, 'chat');
    assert.equal(c.context.eventName, 'connect');
    assert.deepEqual(c.auth, { token: 'abc' });
    assert.deepEqual(c.query.EIO, ['4']);
    assert.deepEqual(c.subprotocols, []);
    assert.deepEqual(c.clientCertificates, []);
    s.disconnect();
  });

  it('rejects a socket when handleConnect fails with 401', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const s = m.socket('/', { auth: { deny: true } });
    const [err] = await once(s, 'connect_error', 5000);
    assert.equal(err.message, 'denied by upstream');
  });

  it('relays the upstream ack of a user event', async () => {
    const m = manager(srv, { hub: 'chat' });
    const s = await connectSocket(m, '/');
    const reply = await s.timeout(5000).emitWithAck('hello', 1, 'two');
    assert.equal(reply, 'upstream got');
    const ev = seen.user.find((r) => r.context.eventName === 'hello');
    assert.ok(ev);
    assert.equal(ev.dataType, 'text');
    assert.match(ev.data, /^42\d+\["hello",1,"two"\]$/);
    // Several acks keep their order and ids.
    const replies = await Promise.all([1, 2, 3].map((i) => s.timeout(5000).emitWithAck('n', i)));
    assert.deepEqual(replies, ['upstream got', 'upstream got', 'upstream got']);
    s.disconnect();
  });

  it('reports disconnected with an empty reason for a client disconnect', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const s = await connectSocket(m, '/');
    const id = m.engine.id;
    s.disconnect();
    await until(() => seen.disconnected.some((r) => r.context.connectionId === id), 'disconnected');
    const d = seen.disconnected.find((r) => r.context.connectionId === id);
    assert.equal(d.reason, '');
  });
});
