// The official engine.io-client v6 against eio-echo (the Engine.IO layer
// alone): polling, WebSocket and upgrade; text and binary echo; ordering of
// 100 messages; maxPayload enforcement.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'engine.io-client';
import { startEioEcho } from './support/server.mjs';
import { once, sleep } from './support/clients.mjs';

const MAX_PAYLOAD = 100000;
const MODES = [
  { name: 'polling', transports: ['polling'], expect: 'polling' },
  { name: 'websocket', transports: ['websocket'], expect: 'websocket' },
  { name: 'upgrade', transports: ['polling', 'websocket'], expect: 'websocket' },
];

let echo;
const sockets = new Set();
before(async () => {
  echo = await startEioEcho({ maxPayload: MAX_PAYLOAD, pingInterval: 1000, pingTimeout: 1000 });
});
after(async () => {
  for (const s of sockets) s.close();
  await echo?.kill();
});

async function open(transports) {
  const s = new Socket(echo.origin, { path: echo.path, transports });
  sockets.add(s);
  const [err] = await Promise.race([
    once(s, 'open', 5000).then(() => [null]),
    once(s, 'error', 5000),
  ]);
  if (err) throw new Error(`engine.io-client error: ${err.message ?? err}`);
  return s;
}

/** Collects the next n messages. */
function messages(s, n, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => { s.off('message', on); reject(new Error(`got ${got.length}/${n} messages`)); }, timeoutMs);
    function on(m) {
      got.push(m);
      if (got.length === n) { clearTimeout(timer); s.off('message', on); resolve(got); }
    }
    s.on('message', on);
  });
}

const asBuffer = (m) => (Buffer.isBuffer(m) ? m : m instanceof ArrayBuffer ? Buffer.from(m) : Buffer.from(m.buffer, m.byteOffset, m.byteLength));

for (const mode of MODES) {
  describe(`engine.io-client over ${mode.name}`, { timeout: 30000 }, () => {
    let s;
    before(async () => {
      s = await open(mode.transports);
      if (mode.name === 'upgrade') {
        assert.equal(s.transport.name, 'polling', 'an upgrade starts on polling');
        if (s.transport.name !== 'websocket') await once(s, 'upgrade', 5000);
      }
    });
    after(() => s?.close());

    it('runs on the expected transport with a handshake from the server', () => {
      assert.equal(s.transport.name, mode.expect);
      assert.equal(typeof s.id, 'string');
      assert.ok(s.id.length > 0);
    });

    it('echoes text, including non-ASCII and the empty string', async () => {
      for (const text of ['hello', 'é ✓ 😀 \u0000 end', '', 'x'.repeat(50000)]) {
        const got = messages(s, 1);
        s.send(text);
        // The packet `4` has no data; engine.io-client surfaces it as undefined.
        assert.deepEqual((await got).map((m) => m ?? ''), [text]);
      }
    });

    it('echoes binary', async () => {
      for (const bin of [Buffer.from([0, 1, 2, 253, 254, 255]), Buffer.alloc(0), Buffer.alloc(40000, 7)]) {
        const got = messages(s, 1);
        s.send(bin);
        const [m] = await got;
        assert.equal(typeof m === 'string', false, 'binary must come back as binary');
        assert.deepEqual(asBuffer(m), bin);
      }
    });

    it('echoes 100 messages in order', async () => {
      const got = messages(s, 100);
      for (let i = 0; i < 100; i++) s.send(i % 10 === 9 ? Buffer.from([i]) : `m${i}`);
      const all = await got;
      const want = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? Buffer.from([i]) : `m${i}`));
      assert.deepEqual(all.map((m) => (typeof m === 'string' ? m : asBuffer(m))), want);
    });

    it('stays open across several heartbeats (pingInterval 1000)', async () => {
      let closed = null;
      const onClose = (r) => { closed = r; };
      s.on('close', onClose);
      await sleep(2500);
      s.off('close', onClose);
      assert.equal(closed, null);
      const got = messages(s, 1);
      s.send('still here');
      assert.deepEqual(await got, ['still here']);
    });
  });
}

describe('maxPayload', { timeout: 30000 }, () => {
  it('echoes a WebSocket message just under maxPayload', async () => {
    const s = await open(['websocket']);
    try {
      const text = 'a'.repeat(MAX_PAYLOAD - 100);
      const got = messages(s, 1);
      s.send(text);
      assert.equal((await got)[0].length, text.length);
    } finally {
      s.close();
    }
  });

  it('closes a WebSocket connection that sends a message over maxPayload', async () => {
    const s = await open(['websocket']);
    const echoed = [];
    s.on('message', (m) => echoed.push(m));
    const closed = once(s, 'close', 3000);
    s.send('b'.repeat(MAX_PAYLOAD * 2));
    const [reason] = await closed;
    assert.match(String(reason), /transport close|transport error/);
    assert.deepEqual(echoed, []);
  });

  it('closes a polling connection that posts more than maxPayload', async () => {
    const s = await open(['polling']);
    const closed = once(s, 'close', 3000);
    s.send('c'.repeat(MAX_PAYLOAD * 2));
    const [reason] = await closed;
    assert.match(String(reason), /transport error|transport close/);
  });
});
