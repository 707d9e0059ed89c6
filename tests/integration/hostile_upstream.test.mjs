// sio-server against slow and hanging upstreams (real node:http servers):
// what a client's events may make the service hold while they wait for the
// upstream (limits.maxPacketBytes per packet, webhook.maxQueuedBytesPerSocket
// and maxQueuedBytesPerHub; the server's RSS sampled from /proc), and a
// hub's other traffic while connect requests hang
// (webhook.maxConnectRequestsPerUpstream).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSioServer, rssBytes } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, sleep, ack } from './support/clients.mjs';

const MiB = 1 << 20;
// Under ASan freed blocks stay resident in its quarantine (256 MB by
// default): keep it small, so that RSS shows what the service holds.
const SMALL_QUARANTINE = {
  ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'quarantine_size_mb=16'].filter(Boolean).join(':'),
};

async function until(pred, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * An upstream that records each call's event name, socket, size, first bytes
 * and (small) body; behave(rec, res) answers POSTs (default: 200 empty).
 * OPTIONS allows every origin.
 */
async function startUpstream(behave) {
  const calls = [];
  const server = http.createServer((req, res) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (chunks.length === 0 || size <= 4096) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.setHeader('WebHook-Allowed-Origin', '*');
        res.end();
        return;
      }
      const rec = {
        event: req.headers['ce-eventname'],
        socket: req.headers['ce-socketid'],
        size,
        head: chunks.length ? chunks[0].subarray(0, 64).toString('latin1') : '',
        body: size <= 4096 ? Buffer.concat(chunks).toString('utf8') : null,
      };
      calls.push(rec);
      if (behave) behave(rec, res);
      else res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    port: server.address().port,
    of: (socket, event) => calls.filter((c) => c.socket === socket && c.event === event),
    async close() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

function hubWith(port) {
  return {
    anonymousConnectPolicy: 'allow',
    eventHandlers: [{
      urlTemplate: `http://127.0.0.1:${port}/{event}`,
      userEventPattern: '*',
      systemEvents: ['connect', 'connected', 'disconnected'],
    }],
  };
}

/** The value of one series in /metrics (0 when absent). */
async function metric(srv, series) {
  const text = await (await fetch(`${srv.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** `n` binary attachments of `size` bytes each. */
function attachments(n, size) {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(size, 0x41 + i));
}

/** The ack of an event that asks for one (EVENT or BINARY_EVENT with an id on `/`). */
function ackOf(rec) {
  const id = /^4(?:2|5\d+-)(\d+)\[/.exec(rec.head)?.[1];
  return id === undefined ? undefined : `43${id}["ok"]`;
}

describe('limits.maxPacketBytes', { timeout: 60000 }, () => {
  let up;
  let srv;
  before(async () => {
    up = await startUpstream((rec, res) => res.end(ackOf(rec)));
    // maxPacketBytes is absent: it follows maxPayload (1000000).
    srv = await startSioServer({ hubs: { h: hubWith(up.port) } });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  for (const transport of ['websocket', 'polling']) {
    it(`closes a ${transport} connection whose packet's attachments pass it together`, async () => {
      const s = await connectSocket(manager(srv, { transports: [transport], forceNew: true }), '/');
      const sid = s.id;
      const rejected = await metric(srv, 'sio_rejected_total{hub="h",reason="packet_too_large"}');
      // Each attachment is within maxPayload; the ten of them are not.
      const gone = once(s, 'disconnect', 20000);
      s.emit('big', ...attachments(10, 400000));
      const [reason] = await gone;
      // Polling: the close packet, or a 400 for a POST that came after it.
      assert.match(reason, transport === 'websocket' ? /^transport close$/ : /^transport (close|error)$/);
      await until(() => up.of(sid, 'disconnected').length === 1, 'disconnected');
      assert.deepEqual(JSON.parse(up.of(sid, 'disconnected')[0].body), { reason: 'packet too large' });
      assert.equal(up.of(sid, 'big').length, 0, 'the oversized packet never reaches the upstream');
      assert.equal(await metric(srv, 'sio_rejected_total{hub="h",reason="packet_too_large"}'), rejected + 1);
      assert.ok(await metric(srv, 'sio_connections_closed_total{hub="h",reason="packet too large"}') >= 1);
      await srv.waitForLog(/sent a packet of more than 1000000 bytes/);
    });
  }

  it('relays a packet whose text and attachments stay within it', async () => {
    const s = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    // Two attachments of 450 kB and their text: under 1000000 bytes.
    const reply = await ack(s, 'fits', ...attachments(2, 450000));
    assert.deepEqual(reply, ['ok']);
    const [rec] = up.of(s.id, 'fits');
    // The webhook body: the packet text, then each attachment in base64.
    assert.ok(rec.size > 2 * 600000, `body of ${rec.size} bytes`);
    assert.ok(s.connected);
  });
});

describe('webhook.maxQueuedBytesPerSocket against a slow upstream', { timeout: 90000 }, () => {
  const LIMIT = 32 * MiB;
  let up;
  let srv;
  const held = [];
  let holding = true;
  before(async () => {
    // The upstream holds user events until the test lets them go.
    up = await startUpstream((rec, res) => {
      if (rec.event === 'big' && holding) held.push(res);
      else res.end();
    });
    srv = await startSioServer({
      hubs: { h: hubWith(up.port) },
      config: {
        limits: { maxPacketBytes: 10000000 },
        webhook: { maxQueuedBytesPerSocket: LIMIT },
      },
      env: SMALL_QUARANTINE,
    });
  });
  after(async () => {
    holding = false;
    for (const res of held.splice(0)) res.end();
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('holds at most the bound, not 16 events of 10 x 950 kB', async (t) => {
    const s = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    const sid = s.id;
    await until(() => up.of(sid, 'connected').length === 1, 'connected');
    const before = rssBytes(srv.pid);
    let peak = before;
    const sampler = setInterval(() => {
      try { peak = Math.max(peak, rssBytes(srv.pid)); } catch { /* exited */ }
    }, 20);
    const queuedNow = () => metric(srv, 'sio_webhook_queued_bytes{hub="h"}');
    try {
      const gone = once(s, 'disconnect', 60000);
      const parts = attachments(10, 950 * 1000);
      for (let n = 0; n < 16; n++) s.emit('big', n, ...parts);
      // The close, or (were the bound not kept) the bytes passing it.
      const over = until(async () => (await queuedNow()) > LIMIT, 'the bound passed', 60000);
      over.catch(() => {});
      await Promise.race([gone, over]);
      assert.ok(!s.connected, 'the connection is closed');
      await srv.waitForLog(/closed by its event handler: webhook backlog too large/, 10000);
      await sleep(500);
    } finally {
      clearInterval(sampler);
    }
    const queued = await queuedNow();
    const body = up.of(sid, 'big')[0]?.size;
    // Two events (12.7 MB each in the webhook's base64 form) fit in 32 MiB,
    // a third does not; the upstream has the first, the second waits.
    assert.ok(body > 12e6, `first event body ${body}`);
    assert.equal(queued, 2 * body, `sio_webhook_queued_bytes ${queued}`);
    assert.ok(queued <= LIMIT);
    const grown = peak - before;
    t.diagnostic(`VmRSS grew by ${(grown / MiB).toFixed(1)} MiB at most; ${queued} bytes queued`);
    // Unbounded, the 16 events made the service hold over 200 MiB.
    assert.ok(grown < LIMIT + 40 * MiB,
      `VmRSS grew by ${(grown / MiB).toFixed(1)} MiB (bound ${LIMIT / MiB} MiB)`);
    assert.ok(await metric(srv, 'sio_webhook_failures_total{hub="h",reason="backlog_bytes"}') >= 1);

    // The upstream catches up: what was queued reaches it, then the
    // disconnected event with the reason, and the bytes are released.
    holding = false;
    for (const res of held.splice(0)) res.end();
    await until(() => up.of(sid, 'disconnected').length === 1, 'disconnected', 20000);
    assert.deepEqual(up.of(sid, 'big').map((r) => r.size), [body, body]);
    assert.deepEqual(JSON.parse(up.of(sid, 'disconnected')[0].body), { reason: 'webhook backlog too large' });
    await until(async () => (await metric(srv, 'sio_webhook_queued_bytes{hub="h"}')) === 0, 'queued bytes back to 0');
  });
});

describe('webhook.maxQueuedBytesPerHub against a slow upstream', { timeout: 60000 }, () => {
  let up;
  let srv;
  const held = [];
  let holding = true;
  before(async () => {
    up = await startUpstream((rec, res) => {
      if (rec.event === 'slow' && holding) held.push(res);
      else res.end(ackOf(rec));
    });
    srv = await startSioServer({
      hubs: { h: hubWith(up.port) },
      // 4 MiB per socket (the default) takes 3 events of 1.2 MB; the hub's
      // 6 MiB takes 5.
      config: { webhook: { maxQueuedBytesPerHub: 6 * MiB } },
    });
  });
  after(async () => {
    holding = false;
    for (const res of held.splice(0)) res.end();
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('closes the connection whose event would pass the hub total; the others carry on', async () => {
    const queued = () => metric(srv, 'sio_webhook_queued_bytes{hub="h"}');
    const a = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    const b = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    const calm = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    const [aid, bid] = [a.id, b.id];
    const [part] = attachments(1, 900000);
    for (let n = 0; n < 3; n++) a.emit('slow', n, part);
    await until(async () => (await queued()) > 3 * 1.2e6, "a's 3 events queued");
    const bGone = once(b, 'disconnect', 10000);
    for (let n = 0; n < 3; n++) b.emit('slow', n, part);
    await bGone;
    await srv.waitForLog(/closed by its event handler: webhook hub backlog too large/, 10000);
    assert.ok(await metric(srv, 'sio_webhook_failures_total{hub="h",reason="hub_backlog_bytes"}') >= 1);
    const held5 = await queued();
    assert.ok(held5 > 5 * 1.2e6 && held5 <= 6 * MiB, `queued ${held5}`);
    // A small event still fits, and the other connections stay.
    assert.deepEqual(await ack(calm, 'small', 1), ['ok']);
    assert.ok(a.connected && calm.connected);

    holding = false;
    for (const res of held.splice(0)) res.end();
    await until(() => up.of(aid, 'slow').length === 3 && up.of(bid, 'disconnected').length === 1, 'the queued events', 20000);
    assert.equal(up.of(bid, 'slow').length, 2);
    assert.deepEqual(JSON.parse(up.of(bid, 'disconnected')[0].body), { reason: 'webhook hub backlog too large' });
    await until(async () => (await queued()) === 0, 'queued bytes back to 0');
  });
});

describe('webhook.maxConnectRequestsPerUpstream with hanging connects', { timeout: 90000 }, () => {
  const HANGING = 40;
  let up;
  let srv;
  const hung = [];
  let hanging = true;
  let maxHung = 0;
  const answerHung = (res) => {
    res.statusCode = 401;
    res.setHeader('Content-Type', 'application/json');
    res.end('{"message":"go away"}');
  };
  before(async () => {
    // Connects whose auth asks for it never get an answer (until the test
    // ends the hang); everything else is answered at once, events with
    // their ack.
    up = await startUpstream((rec, res) => {
      if (rec.event === 'connect' && JSON.parse(rec.body).auth?.hang) {
        if (!hanging) { answerHung(res); return; }
        hung.push(res);
        maxHung = Math.max(maxHung, hung.length);
        return;
      }
      res.end(ackOf(rec));
    });
    srv = await startSioServer({
      hubs: { h: hubWith(up.port) },
      // The pool (32) and connect cap (16) are the defaults; a hanging
      // connect lasts until the test ends it, or 8 s.
      config: { webhook: { responseTimeout: 8000 } },
    });
  });
  after(async () => {
    hanging = false;
    for (const res of hung.splice(0)) answerHung(res);
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it("answers a bystander's events promptly while 40 connects hang", async (t) => {
    const bystander = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    assert.deepEqual(await ack(bystander, 'warm', 0), ['ok']);
    const refused = [];
    for (let i = 0; i < HANGING; i++) {
      const s = manager(srv, { transports: ['websocket'], forceNew: true }).socket('/', { auth: { hang: true } });
      refused.push(once(s, 'connect_error', 30000));
    }
    await until(() => hung.length >= 16, '16 hanging connects at the upstream');
    // Time for more to arrive, if the cap let them.
    await sleep(500);
    for (let n = 1; n <= 5; n++) {
      const t0 = performance.now();
      assert.deepEqual(await ack(bystander, 'ping', n), ['ok']);
      const ms = performance.now() - t0;
      t.diagnostic(`event ${n}: ${ms.toFixed(1)} ms`);
      assert.ok(ms < 1000, `event ${n} answered after ${ms.toFixed(0)} ms while connects hang`);
    }
    assert.equal(hung.length, 16, 'connect requests in flight stay at the cap');
    // The connects over the cap waited in order: end the hang and every
    // one of them is answered.
    hanging = false;
    for (const res of hung.splice(0)) answerHung(res);
    const errors = await Promise.all(refused);
    assert.equal(errors.length, HANGING);
    for (const [e] of errors) assert.equal(e.message, 'go away');
    assert.equal(up.calls.filter((c) => c.event === 'connect').length, HANGING + 1);
    assert.equal(maxHung, 16);
    assert.ok(bystander.connected);
  });
});
