// Fan-out order across the polling → WebSocket upgrade: while socket.io-client
// sockets (default transports: polling, then the upgrade) connect and upgrade,
// a WebSocket client streams numbered "broadcast" events that the echo handler
// fans out to the namespace, and the upgrading clients send acked events in
// between. Every upgrading client must see the numbers without a gap, a
// duplicate or a reordering, from its first one to the last one sent: the hub
// routes a connection's fan-out through its session until the upgrade, then
// writes to the WebSocket itself, and nothing may overtake or be lost at the
// switch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, sleep } from './support/clients.mjs';

const CLIENTS = 8;
const ROUNDS = 3;
/** Numbers each client gets over polling before it probes the WebSocket. */
const BEFORE_UPGRADE = 20;
/** Numbers each client must get after its upgrade before the stream ends. */
const AFTER_UPGRADE = 60;
/** Bounds the stream whatever happens (a busy machine may be slow). */
const MAX_SENDS = 20000;
const STREAM_TIMEOUT_MS = 60000;

describe('fan-out across the polling → WebSocket upgrade', { timeout: 240000 }, () => {
  let srv;
  before(async () => {
    srv = await startSioServer({ hubs: { h: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' } } });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
  });

  for (let round = 0; round < ROUNDS; round++) {
    it(`every upgrading client gets every number once, in order, with acks between (round ${round + 1})`, async () => {
      const driver = await connectSocket(manager(srv, { hub: 'h', transports: ['websocket'] }), '/');
      let next = 0;
      let streaming = true;
      // Sequential on one connection: the hub handles the broadcasts in
      // this order. Paced in small bursts so that polling clients keep up.
      const stream = (async () => {
        const end = Date.now() + STREAM_TIMEOUT_MS;
        while (streaming && next < MAX_SENDS && Date.now() < end) {
          for (let i = 0; i < 10; i++) driver.emit('broadcast', next++);
          await sleep(2);
        }
      })();

      const clients = [];
      const opened = [];
      for (let i = 0; i < CLIENTS; i++) {
        const c = { got: [], upgradedAt: -1, acks: 0, ackFailures: [] };
        c.m = manager(srv, { hub: 'h' });
        // The client probes the WebSocket only once it has some of the
        // stream over polling: the upgrade then happens while fan-out to
        // this connection flows (bounded: it probes after 20 s anyway).
        const engine = c.m.engine;
        const probe = engine._probe.bind(engine);
        engine._probe = (name) => {
          const start = Date.now();
          const go = () => (c.got.length >= BEFORE_UPGRADE || Date.now() - start > 20000
            ? probe(name) : setTimeout(go, 5));
          go();
        };
        engine.once('upgrade', () => { c.upgradedAt = c.got.length; });
        c.s = c.m.socket('/');
        c.s.on('broadcast', (n) => {
          c.got.push(n);
          // Acked events interleaved with the fan-out: the session's own
          // writes on the same connection.
          if (n % 7 === 0) {
            c.s.timeout(30000).emitWithAck('add', n).then(
              (r) => { if (r === n) c.acks++; else c.ackFailures.push(r); },
              (e) => c.ackFailures.push(e.message));
          }
        });
        clients.push(c);
        opened.push(connectSocket(c.m, '/'));
        await sleep(15); // clients upgrade at different points of the stream
      }
      await Promise.all(opened);

      const enough = () => clients.every((c) => c.upgradedAt >= 0 && c.got.length - c.upgradedAt >= AFTER_UPGRADE);
      const deadline = Date.now() + STREAM_TIMEOUT_MS;
      while (!enough() && Date.now() < deadline) await sleep(20);
      streaming = false;
      await stream;
      const last = next - 1;
      // The tail of the stream: every client gets up to the last number.
      const tailDeadline = Date.now() + 30000;
      while (clients.some((c) => c.got.at(-1) !== last) && Date.now() < tailDeadline) await sleep(20);
      // Acks still on their way.
      const ackDeadline = Date.now() + 30000;
      const wanted = (c) => c.got.filter((n) => n % 7 === 0).length;
      while (clients.some((c) => c.acks + c.ackFailures.length < wanted(c)) && Date.now() < ackDeadline) await sleep(20);

      for (const [i, c] of clients.entries()) {
        assert.equal(c.m.engine.transport.name, 'websocket', `client ${i} did not upgrade`);
        assert.ok(c.upgradedAt >= 0 && c.got.length - c.upgradedAt >= AFTER_UPGRADE,
          `client ${i} got ${c.got.length - c.upgradedAt} numbers after its upgrade (upgraded at ${c.upgradedAt})`);
        assert.ok(c.got.length > 0, `client ${i} got nothing`);
        const first = c.got[0];
        const expected = Array.from({ length: last - first + 1 }, (_, k) => first + k);
        if (c.got.length !== expected.length || c.got.some((n, k) => n !== expected[k])) {
          const k = c.got.findIndex((n, j) => n !== expected[j]);
          assert.fail(`client ${i}: got ${c.got.length} numbers from ${first} to ${c.got.at(-1)}, `
            + `expected ${first}..${last}; first difference at index ${k} `
            + `(got ${c.got[k]}, expected ${expected[k]}; upgraded at index ${c.upgradedAt})`);
        }
        assert.deepEqual(c.ackFailures, [], `client ${i}: acks failed`);
        assert.equal(c.acks, wanted(c), `client ${i}: acks answered`);
      }
      // The stream did run through every client's hand-over.
      for (const [i, c] of clients.entries())
        assert.ok(c.upgradedAt >= BEFORE_UPGRADE, `client ${i} upgraded after ${c.upgradedAt} numbers`);
      for (const c of clients) c.m._close();
      driver.io._close();
    });
  }
});
