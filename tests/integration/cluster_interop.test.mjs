// The service as a neighbour in Socket.IO's Redis ecosystem (cluster.md,
// "Wire format"): @socket.io/redis-emitter 5.x and a Node.js socket.io 4.8
// server with @socket.io/redis-adapter 8.x, on the same real redis-server
// and the hub's adapter key, reach the sockets of our nodes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createClient } from 'redis';
import { Emitter } from '@socket.io/redis-emitter';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { io as ioc } from 'socket.io-client';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startSioServer } from './support/server.mjs';
import { startRedis } from './support/redis.mjs';
import { manager, connectSocket, closeAll, sleep } from './support/clients.mjs';

const b64u = (s) => Buffer.from(s).toString('base64url');
const roomGroup = (ns, room) => `0~${b64u(ns)}~${b64u(room)}`;
const KEY = 'interop-test-key-0123456789abcdef0123456789ab';
const text = { contentType: 'text/plain' };

function recorder(socket) {
  const got = [];
  socket.onAny((...args) => got.push(args));
  return got;
}

async function until(pred, timeoutMs = 3000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(20);
  }
  assert.fail(`${what} not met within ${timeoutMs} ms`);
}

describe('Socket.IO Redis ecosystem interop', () => {
  let redis;
  const nodes = [];
  let svc;
  const clients = [];

  before(async () => {
    redis = await startRedis();
    for (const id of ['n1', 'n2']) {
      nodes.push(await startSioServer({
        hubs: { chat: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' } },
        config: {
          accessKeys: { primary: KEY },
          cluster: { redis: redis.url, nodeId: id, heartbeatInterval: 200, nodeTimeout: 1000 },
        },
      }));
    }
    svc = new WebPubSubServiceClient(nodes[0].connectionString, 'chat', { allowInsecureConnection: true });
    await sleep(400);
  });
  after(async () => {
    closeAll();
    for (const c of clients) await c.quit().catch(() => {});
    for (const n of nodes) await n.stop();
    await redis?.cleanup();
  });

  async function redisClient() {
    const c = createClient({ url: redis.url });
    await c.connect();
    clients.push(c);
    return c;
  }

  it('@socket.io/redis-emitter reaches our sockets: all, rooms, except, namespaces, binary', async () => {
    const a = await connectSocket(manager(nodes[0], { hub: 'chat', transports: ['websocket'] }), '/');
    const b = await connectSocket(manager(nodes[1], { hub: 'chat', transports: ['polling'] }), '/');
    const admin = await connectSocket(manager(nodes[1], { hub: 'chat', transports: ['websocket'] }), '/admin');
    const ga = recorder(a);
    const gb = recorder(b);
    const gadmin = recorder(admin);
    await svc.group(roomGroup('/', 'red')).addConnection(a.io.engine.id);
    await svc.group(roomGroup('/', 'blue')).addConnection(b.io.engine.id);
    const emitter = new Emitter(await redisClient(), { key: 'socket.io-chat' });
    emitter.emit('all', 1, 'x', { nested: [true, null, 1.5] });
    emitter.to('red').emit('red', 2);
    emitter.to(['red', 'blue']).emit('both', 3);
    emitter.except('red').emit('not-red', 4);
    emitter.to(b.id).emit('own-room', 5);
    emitter.of('/admin').emit('admin', 6);
    emitter.emit('bin', Buffer.from([1, 2, 3]));
    await until(() => ga.length === 4 && gb.length === 5 && gadmin.length === 1, 3000, 'emitter events');
    assert.deepEqual(ga.slice(0, 3), [['all', 1, 'x', { nested: [true, null, 1.5] }], ['red', 2], ['both', 3]]);
    assert.deepEqual(gb.slice(0, 4), [['all', 1, 'x', { nested: [true, null, 1.5] }], ['both', 3], ['not-red', 4], ['own-room', 5]]);
    assert.deepEqual(gadmin, [['admin', 6]]);
    for (const g of [ga, gb]) {
      const [name, buf] = g.at(-1);
      assert.equal(name, 'bin');
      assert.deepEqual([...buf], [1, 2, 3]);
    }
  });

  it('a Node.js socket.io server with the Redis adapter: its emits reach our sockets', async () => {
    const pub = await redisClient();
    const sub = pub.duplicate();
    await sub.connect();
    clients.push(sub);
    const httpServer = http.createServer();
    const io = new Server(httpServer, { adapter: createAdapter(pub, sub, { key: 'socket.io-chat' }) });
    await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
    try {
      const ours = await connectSocket(manager(nodes[1], { hub: 'chat', transports: ['websocket'] }), '/');
      const got = recorder(ours);
      await svc.group(roomGroup('/', 'green')).addConnection(ours.io.engine.id);
      const theirs = ioc(`http://127.0.0.1:${httpServer.address().port}`, { transports: ['websocket'] });
      await new Promise((r) => theirs.on('connect', r));
      await sleep(200);
      io.emit('from-node', 'hello');
      io.to('green').emit('green', 1);
      await until(() => got.length === 2, 3000, 'Node server emits');
      assert.deepEqual(got, [['from-node', 'hello'], ['green', 1]]);
      // The other way: our REST sends reach the Node server's client.
      const theirsGot = recorder(theirs);
      await svc.sendToAll('42["rest-all",1]', text);
      await svc.group(roomGroup('/', 'green')).sendToAll('42["rest-green",2]', text);
      await svc.group(`0~${b64u('/')}~`).sendToAll('42["rest-ns",3]', text);
      const bin = `451-["rest-bin",{"_placeholder":true,"num":0}]\x1eb${Buffer.from([9, 8, 7]).toString('base64')}`;
      await svc.sendToAll(bin, text);
      await until(() => theirsGot.length === 3 && got.length === 6, 3000, 'REST sends on both sides');
      assert.deepEqual(theirsGot.slice(0, 2), [['rest-all', 1], ['rest-ns', 3]]);
      assert.equal(theirsGot[2][0], 'rest-bin');
      assert.deepEqual([...theirsGot[2][1]], [9, 8, 7]);
      // Our socket got each exactly once (our nodes skip our adapter copies).
      assert.deepEqual(got.slice(2, 5), [['rest-all', 1], ['rest-green', 2], ['rest-ns', 3]]);
      await sleep(200);
      assert.equal(got.length, 6);
      theirs.close();
    } finally {
      io.close();
      await new Promise((r) => httpServer.close(r));
    }
  });
});
