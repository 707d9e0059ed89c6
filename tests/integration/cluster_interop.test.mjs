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
import { recorder, until, nsGroup, roomGroup } from './support/records.mjs';

const KEY = 'interop-test-key-0123456789abcdef0123456789ab';
const text = { contentType: 'text/plain' };

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
      await svc.group(nsGroup('/')).sendToAll('42["rest-ns",3]', text);
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

  // A Node.js server with the Redis adapter as a peer of our nodes: its
  // cluster-wide requests are answered by our nodes (not waited out: its
  // requestsTimeout is 3 s, every answer must come well within 1 s).
  async function nodePeer() {
    const pub = await redisClient();
    const sub = pub.duplicate();
    await sub.connect();
    clients.push(sub);
    const httpServer = http.createServer();
    const io = new Server(httpServer, {
      adapter: createAdapter(pub, sub, { key: 'socket.io-chat', requestsTimeout: 3000 }),
    });
    await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
    return {
      io,
      async close() {
        io.close();
        await new Promise((r) => httpServer.close(r));
      },
    };
  }

  async function timed(f) {
    const t0 = Date.now();
    const v = await f();
    return [v, Date.now() - t0];
  }

  describe('a Node.js peer\'s cluster-wide requests', () => {
    let peer;
    let a;
    let b;
    let ga;
    let gb;
    before(async () => {
      peer = await nodePeer();
      a = await connectSocket(manager(nodes[0], { hub: 'chat', transports: ['websocket'], query: { app: 'x y' } }), '/');
      b = await connectSocket(manager(nodes[1], { hub: 'chat', transports: ['polling'] }), '/');
      ga = recorder(a);
      gb = recorder(b);
      await svc.group(roomGroup('/', 'peer-r1')).addConnection(a.io.engine.id);
      await svc.group(roomGroup('/', 'peer-r2')).addConnection(b.io.engine.id);
      await sleep(100);
    });
    after(async () => {
      await peer?.close();
    });

    it('serverCount counts our nodes', async () => {
      assert.equal(await peer.io.of('/').adapter.serverCount(), 3);
    });

    it('fetchSockets lists our sockets with their rooms and handshake, without a timeout', async () => {
      const [all, ms] = await timed(() => peer.io.fetchSockets());
      assert.ok(ms < 1000, `fetchSockets took ${ms} ms`);
      const byId = new Map(all.map((s) => [s.id, s]));
      assert.ok(byId.has(a.id) && byId.has(b.id), 'our sockets listed');
      assert.deepEqual([...byId.get(a.id).rooms], [a.id, 'peer-r1']);
      assert.deepEqual([...byId.get(b.id).rooms], [b.id, 'peer-r2']);
      const h = byId.get(a.id).handshake;
      assert.equal(h.query.app, 'x y');
      assert.equal(h.query.EIO, '4');
      assert.equal(typeof h.issued, 'number');
      assert.ok(Math.abs(Date.now() - h.issued) < 60000);
      assert.equal(typeof h.headers, 'object');
      assert.ok(h.address.length > 0);
      assert.deepEqual(byId.get(a.id).data, {});

      const [inR1, ms2] = await timed(() => peer.io.in('peer-r1').fetchSockets());
      assert.ok(ms2 < 1000);
      assert.deepEqual(inR1.map((s) => s.id), [a.id]);
      const both = await peer.io.in(['peer-r1', 'peer-r2']).except(a.id).fetchSockets();
      assert.deepEqual(both.map((s) => s.id), [b.id]);
      const rooms = await peer.io.of('/').adapter.allRooms();
      for (const r of ['peer-r1', 'peer-r2', a.id, b.id]) assert.ok(rooms.has(r), `allRooms has ${r}`);
    });

    it('socketsJoin then to(room).emit reaches ours; REST sends to the room group too; socketsLeave', async () => {
      peer.io.in('peer-r1').socketsJoin('x');
      peer.io.in(b.id).socketsJoin(['x', 'y']);
      peer.io.to('x').emit('to-x', 1);
      await until(() => ga.some((e) => e[0] === 'to-x') && gb.some((e) => e[0] === 'to-x'), 2000, 'emit to joined room');
      await svc.group(roomGroup('/', 'x')).sendToAll('42["rest-x",2]', text);
      await until(() => ga.some((e) => e[0] === 'rest-x') && gb.some((e) => e[0] === 'rest-x'), 2000, 'REST send to the joined room');
      const inX = await peer.io.in('x').fetchSockets();
      assert.deepEqual(inX.map((s) => s.id).sort(), [a.id, b.id].sort());

      peer.io.in(a.id).socketsLeave('x');
      peer.io.to('x').emit('to-x-after', 3);
      peer.io.to('y').emit('to-y', 4);
      await until(() => gb.some((e) => e[0] === 'to-y'), 2000, 'emit to y');
      await sleep(100);
      assert.ok(!ga.some((e) => e[0] === 'to-x-after'), 'a left x');
      assert.ok(gb.some((e) => e[0] === 'to-x-after'));
      const inX2 = await peer.io.in('x').fetchSockets();
      assert.deepEqual(inX2.map((s) => s.id), [b.id]);
      peer.io.socketsLeave('x');
      await until(async () => (await peer.io.in('x').fetchSockets()).length === 0, 2000, 'everyone left x');
    });

    it('serverSideEmit with an ack and timeout().emit with acks end at once', async () => {
      const [responses, ms] = await timed(() => new Promise((resolve, reject) => {
        peer.io.serverSideEmit('ping', 1, (err, res) => (err ? reject(err) : resolve(res)));
      }));
      assert.ok(ms < 1000, `serverSideEmit took ${ms} ms`);
      assert.deepEqual(responses, [null, null]);

      const [acks, ms2] = await timed(() => new Promise((resolve, reject) => {
        peer.io.timeout(2000).emit('with-ack', 5, (err, res) => (err ? reject(err) : resolve(res)));
      }));
      assert.ok(ms2 < 1000, `emit with acks took ${ms2} ms`);
      assert.deepEqual(acks, []);
      await until(() => ga.some((e) => e[0] === 'with-ack') && gb.some((e) => e[0] === 'with-ack'), 2000, 'emit with acks reached ours');
    });

    it('the /admin namespace: subscribed once a socket joins it', async () => {
      const m0 = manager(nodes[0], { hub: 'chat', transports: ['websocket'] });
      const root0 = await connectSocket(m0, '/');
      const admin0 = await connectSocket(m0, '/admin');
      const admin1 = await connectSocket(manager(nodes[1], { hub: 'chat', transports: ['websocket'] }), '/admin');
      const nsp = peer.io.of('/admin');
      await until(async () => (await nsp.adapter.serverCount()) === 3, 2000, '/admin server count 3');
      const [list, ms] = await timed(() => nsp.fetchSockets());
      assert.ok(ms < 1000);
      const ids = list.map((s) => s.id);
      assert.ok(ids.includes(admin0.id) && ids.includes(admin1.id));
      assert.ok(!ids.includes(a.id));
      const got = recorder(admin0);
      nsp.socketsJoin('ops');
      nsp.to('ops').emit('ops', 1);
      await until(() => got.length === 1, 2000, '/admin emit');
      assert.deepEqual(got, [['ops', 1]]);
      nsp.in(admin0.id).disconnectSockets();
      await until(() => !admin0.connected, 2000, '/admin socket disconnected');
      await sleep(100);
      assert.ok(root0.connected, 'close=false keeps the connection and its other sockets');
      admin1.close();
    });

    it('disconnectSockets(true) disconnects ours', async () => {
      peer.io.in('peer-r1').disconnectSockets(true);
      await until(() => !a.connected, 2000, 'a disconnected');
      assert.ok(b.connected);
      peer.io.disconnectSockets(true);
      await until(() => !b.connected, 2000, 'b disconnected');
      await until(async () => (await peer.io.fetchSockets()).length === 0, 2000, 'no sockets left');
    });
  });

  it('after a Redis restart our nodes subscribe the request channels again, /admin included', async () => {
    for (const c of clients.splice(0)) await c.quit().catch(() => {});
    const numsub = async (c, ch) => Number((await c.sendCommand(['PUBSUB', 'NUMSUB', ch]))[1]);
    const before = await redisClient();
    assert.equal(await numsub(before, 'socket.io-chat-request#/#'), 2);
    assert.equal(await numsub(before, 'socket.io-chat-request#/admin#'), 2);
    assert.equal(await numsub(before, 'socket.io-chat-response#/admin#'), 2);
    await before.quit();
    clients.length = 0;
    await redis.stop();
    await sleep(200);
    await redis.restart();
    const c = await redisClient();
    await until(async () => (await numsub(c, 'socket.io-chat-request#/#')) === 2
      && (await numsub(c, 'socket.io-chat-request#/admin#')) === 2, 10000, 'subscribed again');
  });
});
