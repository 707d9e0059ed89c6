// The official socket.io-client v4 against sio-server with the in-process echo
// handler, over polling, WebSocket and polling→WebSocket upgrade: namespaces on
// one Engine.IO connection, acks, echo, binary attachments, broadcast,
// namespace disconnect, heartbeat, CONNECT_ERROR and the lifecycle log lines.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer, escapeRe } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, ack, sleep } from './support/clients.mjs';

const MODES = [
  { name: 'polling', transports: ['polling'], expect: 'polling' },
  { name: 'websocket', transports: ['websocket'], expect: 'websocket' },
  { name: 'upgrade', transports: undefined, expect: 'websocket' },
];

/** Turns every Uint8Array / ArrayBuffer inside v into a Buffer, so deepEqual compares bytes. */
function toBuffers(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(toBuffers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toBuffers(x)]));
  return v;
}

/** Waits until the manager's engine runs on `name` (the upgrade is asynchronous). */
async function waitTransport(m, name, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (m.engine.transport.name !== name) {
    if (Date.now() > deadline) assert.fail(`transport stayed ${m.engine.transport.name}, expected ${name}`);
    await sleep(20);
  }
}

let srv;
before(async () => {
  srv = await startSioServer({ hubs: ['h'] });
});
after(async () => {
  closeAll();
  await srv?.kill();
});

for (const mode of MODES) {
  describe(`socket.io-client over ${mode.name}`, { timeout: 30000 }, () => {
    let m;
    let root;
    let chat;
    let firstTransport;

    before(async () => {
      m = manager(srv, { transports: mode.transports });
      m.once('open', () => { firstTransport = m.engine.transport.name; });
      root = await connectSocket(m, '/');
      chat = await connectSocket(m, '/chat');
      await waitTransport(m, mode.expect);
    });
    after(() => m?._close());

    it('runs on the expected transport', () => {
      assert.equal(firstTransport, mode.transports?.[0] ?? 'polling');
      assert.equal(m.engine.transport.name, mode.expect);
    });

    it('multiplexes / and /chat on one Engine.IO connection with distinct socket ids', () => {
      assert.equal(typeof m.engine.id, 'string');
      assert.ok(m.engine.id.length > 0);
      assert.equal(root.io.engine.id, chat.io.engine.id);
      assert.equal(typeof root.id, 'string');
      assert.equal(typeof chat.id, 'string');
      assert.ok(root.id.length > 0 && chat.id.length > 0);
      assert.notEqual(root.id, chat.id);
      assert.notEqual(root.id, m.engine.id, 'socket id must not be the Engine.IO sid');
    });

    it('logs socket connected for both sockets with the same connection id', async () => {
      const a = await srv.waitForLog(new RegExp(`socket connected .*hub=h .*nsp=/ .*socket=${escapeRe(root.id)}(?=\\s|$)`));
      const b = await srv.waitForLog(new RegExp(`socket connected .*hub=h .*nsp=/chat .*socket=${escapeRe(chat.id)}(?=\\s|$)`));
      const conn = (line) => /connection=(\S+)/.exec(line)?.[1];
      assert.ok(conn(a), `no connection= in ${a}`);
      assert.equal(conn(a), conn(b));
    });

    it('acks strings, numbers, objects and multiple arguments', async () => {
      assert.deepEqual(await ack(root, 'greet', 'hello'), ['hello']);
      assert.deepEqual(await ack(root, 'n', 42, -1.5, 0), [42, -1.5, 0]);
      const obj = { a: 1, b: [true, null, 'x'], c: { d: 'é ✓ 😀' } };
      assert.deepEqual(await ack(root, 'obj', obj), [obj]);
      assert.deepEqual(await ack(root, 'multi', 'a', 2, { three: 3 }, [4]), ['a', 2, { three: 3 }, [4]]);
      assert.deepEqual(await ack(chat, 'on-chat', 'c1'), ['c1']);
    });

    it('acks many events in order', async () => {
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => ack(root, 'seq', i)));
      assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => [i]));
    });

    it('echoes an event without ack back to the sender only on its namespace', async () => {
      const onChat = [];
      const chatListener = (...args) => onChat.push(args);
      chat.on('echo', chatListener);
      const got = once(root, 'echo');
      root.emit('echo', 'ping', 7, { k: 'v' });
      assert.deepEqual(await got, ['ping', 7, { k: 'v' }]);
      await sleep(200);
      chat.off('echo', chatListener);
      assert.deepEqual(onChat, [], '/chat must not see the echo meant for /');
    });

    it('carries binary attachments in acks (BINARY_ACK), nested in objects', async () => {
      const b1 = Buffer.from([0, 1, 2, 3, 255]);
      const b2 = Buffer.from('binary ✓', 'utf8');
      const b3 = Buffer.alloc(70000, 0xab);
      const payload = { text: 't', bin: b1, nested: { list: [b2, 'x', { deep: b3 }] } };
      const reply = await ack(root, 'bin', payload, b1);
      assert.equal(reply.length, 2);
      assert.ok(Buffer.isBuffer(reply[1]) || reply[1] instanceof ArrayBuffer || ArrayBuffer.isView(reply[1]),
        `second argument must be binary, got ${JSON.stringify(reply[1])}`);
      assert.deepEqual(toBuffers(reply), [payload, b1]);
      assert.deepEqual(toBuffers(await ack(chat, 'bin', b2)), [b2]);
    });

    it('carries binary attachments in echo events (BINARY_EVENT)', async () => {
      const b1 = Buffer.from([9, 8, 7]);
      const b2 = Buffer.from([]);
      const got = once(root, 'echo');
      root.emit('echo', { a: b1, b: [b2, { c: b1 }] }, 'tail');
      const args = await got;
      assert.deepEqual(toBuffers(args), [{ a: b1, b: [b2, { c: b1 }] }, 'tail']);
    });

    it('ignores other events without ack', async () => {
      let seen = 0;
      const count = () => { seen++; };
      root.onAny(count);
      root.emit('nothing-to-see', 1);
      // A following ack proves the previous event was processed.
      assert.deepEqual(await ack(root, 'after', 2), [2]);
      await sleep(100);
      root.offAny(count);
      assert.equal(seen, 0);
    });

    it('delivers broadcast to every socket of the namespace, sender included', async () => {
      const m2 = manager(srv, { transports: mode.transports });
      try {
        const other = await connectSocket(m2, '/');
        const otherChat = await connectSocket(m2, '/chat');
        const chatSeen = [];
        otherChat.on('broadcast', (...a) => chatSeen.push(a));
        const mine = once(root, 'broadcast');
        const theirs = once(other, 'broadcast');
        root.emit('broadcast', 'to-all', { n: 1 }, Buffer.from([1, 2]));
        const want = ['to-all', { n: 1 }, Buffer.from([1, 2])];
        assert.deepEqual(toBuffers(await mine), want);
        assert.deepEqual(toBuffers(await theirs), want);
        await sleep(200);
        assert.deepEqual(chatSeen, [], 'a broadcast on / must not reach /chat');
      } finally {
        m2._close();
      }
    });

    it('disconnects /chat while / stays connected and still acks', async () => {
      const chatId = chat.id;
      const disc = once(chat, 'disconnect');
      chat.disconnect();
      assert.equal((await disc)[0], 'io client disconnect');
      await srv.waitForLog(new RegExp(
        `socket disconnected .*hub=h .*nsp=/chat .*socket=${escapeRe(chatId)}(?=\\s|$).*reason=client namespace disconnect`));
      assert.equal(root.connected, true);
      assert.deepEqual(await ack(root, 'still-there', 'yes'), ['yes']);
      // The namespace can be joined again on the same connection.
      const again = await connectSocket(m, '/chat');
      assert.notEqual(again.id, chatId);
      assert.equal(again.io.engine.id, root.io.engine.id);
      assert.deepEqual(await ack(again, 'rejoined', 1), [1]);
    });

    it('answers a denied CONNECT with connect_error while another namespace works', async () => {
      const denied = m.socket('/secret', { auth: { deny: 'nope' } });
      let connected = false;
      denied.on('connect', () => { connected = true; });
      const [err] = await once(denied, 'connect_error');
      assert.equal(err.message, 'nope');
      assert.equal(connected, false);
      assert.equal(root.connected, true);
      assert.deepEqual(await ack(root, 'after-deny', 'ok'), ['ok']);
      const ok = await connectSocket(m, '/other', { auth: { some: 'thing' } });
      assert.deepEqual(await ack(ok, 'x', 1), [1]);
    });

    it('logs socket disconnected with client namespace disconnect after socket.disconnect()', async () => {
      const s = await connectSocket(m, '/bye');
      const id = s.id;
      await srv.waitForLog(new RegExp(`socket connected .*nsp=/bye .*socket=${escapeRe(id)}(?=\\s|$)`));
      s.disconnect();
      const line = await srv.waitForLog(new RegExp(`socket disconnected .*socket=${escapeRe(id)}(?=\\s|$)`));
      assert.match(line, /hub=h /);
      assert.match(line, /nsp=\/bye /);
      assert.match(line, /reason=client namespace disconnect/);
    });
  });
}

describe('heartbeat (pingInterval 300 ms, pingTimeout 300 ms)', { timeout: 30000 }, () => {
  let hb;
  before(async () => {
    hb = await startSioServer({ hubs: ['h'], engineio: { pingInterval: 300, pingTimeout: 300 } });
  });
  after(async () => { await hb?.kill(); });

  for (const mode of MODES) {
    it(`keeps an idle ${mode.name} client connected for 2.5 s`, async () => {
      const m = manager(hb, { transports: mode.transports });
      try {
        const s = await connectSocket(m, '/');
        await waitTransport(m, mode.expect);
        const disconnects = [];
        s.on('disconnect', (r) => disconnects.push(r));
        let pings = 0;
        m.engine.on('ping', () => { pings++; });
        await sleep(2500);
        assert.deepEqual(disconnects, []);
        assert.equal(s.connected, true);
        assert.ok(pings >= 4, `expected >= 4 pings in 2.5 s at 300 ms, got ${pings}`);
        assert.deepEqual(await ack(s, 'alive', mode.name), [mode.name]);
        assert.equal(hb.logs.filter((l) => l.includes('socket disconnected') && l.includes(`socket=${s.id}`)).length, 0);
      } finally {
        m._close();
      }
    });
  }
});
