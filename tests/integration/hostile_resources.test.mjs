// Hostile inputs that cost the server resources or slip past its HTTP edges:
// a client naming thousands of namespaces (the /metrics label values they
// become are bounded: series at 0 go, past limits.maxMetricLabelValues they
// are counted as `other`); WebSocket connections reset (RST) right after
// joining, over and over (the memory of a reset connection is freed at its
// close, not at its next heartbeat: RSS stays flat with a 60 s pingInterval);
// a repeated Engine.IO query parameter (400, as engine.io answers a
// parameter parsed as a list); a request in absolute form (RFC 9112 §3.2.2:
// served as its origin form, WebSocket upgrade included).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { startSioServer, rssBytes } from './support/server.mjs';
import { assertHealthy, closeAll, request, json, rawExchange, sleep } from './support/clients.mjs';
import { rawWebSocket } from './support/wsraw.mjs';
import { parseResponses } from './support/hostile.mjs';

/** The sio_sockets series of hub `hub` in a /metrics text: {namespace: value}. */
function socketSeries(text, hub) {
  const out = {};
  const re = new RegExp(`^sio_sockets\\{hub="${hub}",namespace="((?:[^"\\\\]|\\\\.)*)"\\} (-?\\d+)$`, 'gm');
  for (const m of text.matchAll(re)) out[m[1]] = Number(m[2]);
  return out;
}

async function metricsText(srv) {
  const r = await request({ port: srv.port, path: '/metrics' });
  assert.equal(r.status, 200);
  return r.body;
}

/** Polls /metrics until pred(text) holds; returns that text. */
async function metricsUntil(srv, pred, what, ms = 10000) {
  const deadline = Date.now() + ms;
  let text;
  for (;;) {
    text = await metricsText(srv);
    if (pred(text)) return text;
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms; sio_sockets: ${JSON.stringify(socketSeries(text, 'h'))}`);
    await sleep(50);
  }
}

/** True when the server process runs under AddressSanitizer (scripts/test's second build). */
function underAsan(pid) {
  return /libasan|libclang_rt\.asan/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

describe('metrics cardinality: namespaces named by a client', { timeout: 90000 }, () => {
  const LIMIT = 20;
  let srv;
  let ws;
  before(async () => {
    // The raw client answers no ping: a heartbeat longer than the test.
    srv = await startSioServer({
      hubs: ['h'],
      engineio: { pingInterval: 300000 },
      config: { limits: { maxMetricLabelValues: LIMIT } },
    });
    ws = await rawWebSocket(srv.port, `${srv.path('h')}/?EIO=4&transport=websocket`);
    await ws.waitFor((f) => f.opcode === 1 && f.payload[0] === 0x30);
  });
  after(async () => {
    ws?.destroy();
    closeAll();
    await srv?.kill();
  });

  /** Joins every namespace of `names` at once and waits for every CONNECT answer. */
  async function join(names) {
    const from = ws.frames.length;
    for (const n of names) ws.sendText(`40${n},`);
    const want = new Set(names);
    await ws.waitFor(() => {
      for (const f of ws.frames.slice(from)) {
        const t = f.payload.toString('utf8');
        const m = /^40(\/[^,]*),\{"sid"/.exec(t);
        if (m) want.delete(m[1]);
        else if (t.startsWith('44')) throw new Error(`CONNECT_ERROR: ${t}`);
      }
      return want.size === 0;
    }, 20000);
    ws.frames.length = 0; // keep the client's memory flat over thousands of joins
  }
  function leave(names) {
    for (const n of names) ws.sendText(`41${n},`);
  }

  it('past the label limit, sockets are counted under namespace="other"; each series goes at 0', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `/live-${i}`);
    await join(names);
    const text = await metricsUntil(srv, (t) => Object.values(socketSeries(t, 'h')).reduce((a, b) => a + b, 0) === 50,
      'all 50 sockets counted');
    const series = socketSeries(text, 'h');
    const own = Object.keys(series).filter((n) => n !== 'other');
    assert.equal(own.length, LIMIT, `one series per namespace up to the limit: ${JSON.stringify(series)}`);
    for (const n of own) {
      assert.ok(names.includes(n), `unexpected namespace ${n}`);
      assert.equal(series[n], 1);
    }
    assert.equal(series.other, 50 - LIMIT, 'the rest are counted under other');

    // Half of the namespaces counted as other leave, and as many of the
    // namespaces with a series: other loses exactly its own.
    const folded = names.filter((n) => !own.includes(n));
    const goneFolded = folded.slice(0, 10);
    const goneOwn = own.slice(0, 5);
    leave([...goneFolded, ...goneOwn]);
    const after1 = socketSeries(await metricsUntil(srv,
      (t) => Object.values(socketSeries(t, 'h')).reduce((a, b) => a + b, 0) === 35, '15 sockets gone'), 'h');
    assert.equal(after1.other, 50 - LIMIT - 10);
    for (const n of goneOwn) assert.equal(after1[n], undefined, `${n} is at 0: its series must go`);
    assert.equal(Object.keys(after1).length, LIMIT - 5 + 1);

    leave(names.filter((n) => !goneFolded.includes(n) && !goneOwn.includes(n)));
    await metricsUntil(srv, (t) => Object.keys(socketSeries(t, 'h')).length === 0,
      'no sio_sockets series (other included) once every socket left');
  });

  it('2,000 namespaces joined and left one after another leave /metrics as it was', async () => {
    const baseline = await metricsText(srv);
    const baselineSeries = baseline.split('\n').filter((l) => l && !l.startsWith('#')).length;
    let most = 0;
    const BATCH = 50;
    for (let b = 0; b < 40; b++) {
      const names = Array.from({ length: BATCH }, (_, i) => `/churn-${b}-${i}`);
      await join(names);
      if (b % 10 === 9) {
        // Mid-churn, with a batch joined: the limit holds.
        const series = socketSeries(await metricsText(srv), 'h');
        most = Math.max(most, Object.keys(series).length);
        assert.ok(Object.keys(series).length <= LIMIT + 1, `at most ${LIMIT} namespaces and other: ${Object.keys(series).length}`);
        assert.equal(Object.values(series).reduce((a, c) => a + c, 0), BATCH);
      }
      leave(names);
    }
    assert.equal(most, LIMIT + 1);
    const text = await metricsUntil(srv, (t) => Object.keys(socketSeries(t, 'h')).length === 0,
      'no sio_sockets series once every socket left');
    const seriesNow = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    // Counters of packets sent and events may have grown in value, not in number.
    assert.ok(seriesNow <= baselineSeries + 2, `series: ${baselineSeries} before, ${seriesNow} after`);
    assert.ok(text.length < baseline.length + 512, `/metrics: ${baseline.length} bytes before, ${text.length} after`);
  });

  it('the connection that did it still works, and so does the server', async () => {
    ws.sendText('40');
    await ws.waitFor((f) => f.opcode === 1 && f.payload.toString('utf8').startsWith('40{"sid"'), 10000);
    ws.sendText('421["e",1]');
    await ws.waitFor((f) => f.opcode === 1 && f.payload.toString('utf8') === '431[1]', 10000);
    await assertHealthy(srv, { hub: 'h', transports: ['websocket'] });
  });
});

describe('connections reset right after joining', { timeout: 120000 }, () => {
  let srv;
  let asan = false;
  before(async () => {
    // A long heartbeat: whatever a reset connection leaves must be freed at
    // its close, not by its next ping.
    const start = () => startSioServer({ hubs: ['h'], engineio: { pingInterval: 60000, pingTimeout: 20000 } });
    srv = await start();
    asan = underAsan(srv.pid);
    if (asan && !/quarantine_size_mb/.test(process.env.ASAN_OPTIONS ?? '')) {
      // ASan keeps freed memory in a quarantine (256 MB): without it, its
      // RSS plateaus like the normal build's.
      await srv.kill();
      process.env.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=0'].filter(Boolean).join(':');
      srv = await start();
    }
  });
  after(async () => {
    closeAll();
    await srv?.kill();
  });

  /**
   * Opens a WebSocket Engine.IO connection, joins "/", waits for the join's
   * answer, then resets the TCP connection (RST, no close handshake).
   */
  function joinAndReset(port, path) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      const key = crypto.randomBytes(16).toString('base64');
      let buf = '';
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no join answer: ${buf.slice(0, 300)}`)); }, 20000);
      sock.on('error', () => {});
      sock.on('connect', () => {
        // The upgrade and the namespace CONNECT (a masked text frame "40")
        // in one write.
        const mask = crypto.randomBytes(4);
        const connect = Buffer.from([0x81, 0x82, ...mask, 0x34 ^ mask[0], 0x30 ^ mask[1]]);
        sock.write(Buffer.concat([Buffer.from(
          `GET ${path}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          'latin1'), connect]));
      });
      sock.on('data', (c) => {
        buf += c.toString('latin1');
        if (buf.includes('40{"sid"')) {
          clearTimeout(timer);
          sock.resetAndDestroy();
          resolve();
        }
      });
      sock.on('close', () => { clearTimeout(timer); reject(new Error(`closed before the join answer: ${buf.slice(0, 300)}`)); });
    });
  }

  async function connectionsOpen() {
    const m = /^sio_connections\{hub="h",transport="websocket"\} (\d+)$/m.exec(await metricsText(srv));
    return m ? Number(m[1]) : 0;
  }

  it('a minute of connect, join and reset leaves the server RSS flat', async () => {
    const ROUND = 250;  // connections in flight at once
    const MAX_ROUNDS = asan ? 80 : 200;
    const budgetMs = asan ? 50000 : 60000;
    const started = Date.now();
    const samples = [];
    let total = 0;
    let rounds = 0;
    while (rounds < MAX_ROUNDS && Date.now() - started < budgetMs) {
      await Promise.all(Array.from({ length: ROUND }, () => joinAndReset(srv.port, srv.path('h'))));
      total += ROUND;
      rounds++;
      // Every reset connection is closed before the next round.
      const deadline = Date.now() + 10000;
      while ((await connectionsOpen()) > 0) {
        if (Date.now() > deadline) assert.fail(`connections still open 10 s after their reset: ${await connectionsOpen()}`);
        await sleep(20);
      }
      samples.push(rssBytes(srv.pid));
    }
    const mib = (b) => (b / 1048576).toFixed(1);
    // ASan's allocator takes longer to reach its plateau.
    const warm = Math.min(asan ? 20 : 5, Math.floor(rounds / 4));
    const base = Math.max(...samples.slice(0, warm + 1));
    const last = samples[samples.length - 1];
    const info = `${total} connections in ${rounds} rounds, ${Date.now() - started} ms; RSS ${mib(samples[0])} -> ` +
      `${mib(base)} (after ${warm + 1} rounds) -> ${mib(last)} MiB`;
    assert.ok(rounds >= 8, `too few rounds to judge: ${info}`);
    // A reset connection kept until its next heartbeat holds ~1.3 KiB (more
    // under ASan): 10,000 of them are 13 MiB and more; freed at close, RSS
    // moves by allocator noise only (under 3 MiB in either build).
    assert.ok(last - base < (asan ? 8 : 6) * 1048576, `RSS grew: ${info}`);
    process.stderr.write(`# churn: ${info}\n`);
    await assertHealthy(srv, { hub: 'h', transports: ['websocket'] });
  });
});

describe('HTTP edges', { timeout: 60000 }, () => {
  let srv;
  before(async () => { srv = await startSioServer({ hubs: ['h'] }); });
  after(async () => {
    closeAll();
    await srv?.kill();
  });

  const base = () => `${srv.path('h')}/`;

  it('a repeated EIO parameter is 400 code 5, as engine.io answers EIO given as a list', async () => {
    for (const q of ['EIO=3&EIO=4', 'EIO=4&EIO=4', 'EIO=4&EIO=3']) {
      const r = await request({ port: srv.port, path: `${base()}?${q}&transport=polling` });
      assert.equal(r.status, 400, `${q}: ${r.body}`);
      assert.deepEqual(json(r), { code: 5, message: 'Unsupported protocol version' }, q);
    }
    // The WebSocket handshake is refused the same way.
    await assert.rejects(rawWebSocket(srv.port, `${base()}?EIO=3&EIO=4&transport=websocket`), /expected 101, got: HTTP\/1\.1 400/);
  });

  it('a repeated transport is 400 code 0 and a repeated sid 400 code 1', async () => {
    let r = await request({ port: srv.port, path: `${base()}?EIO=4&transport=polling&transport=polling` });
    assert.equal(r.status, 400);
    assert.deepEqual(json(r), { code: 0, message: 'Transport unknown' });
    const open = await request({ port: srv.port, path: `${base()}?EIO=4&transport=polling` });
    assert.equal(open.status, 200);
    const { sid } = JSON.parse(open.body.slice(1));
    r = await request({ port: srv.port, path: `${base()}?EIO=4&transport=polling&sid=${sid}&sid=${sid}` });
    assert.equal(r.status, 400);
    assert.deepEqual(json(r), { code: 1, message: 'Session ID unknown' });
    // The session itself is untouched: a well-formed request still finds it.
    r = await request({ port: srv.port, method: 'POST', path: `${base()}?EIO=4&transport=polling&sid=${sid}`, body: '40' });
    assert.equal(r.status, 200, r.body);
  });

  it('a polling handshake in absolute form is served like its origin form', async () => {
    const target = `http://127.0.0.1:${srv.port}${base()}?EIO=4&transport=polling`;
    const r = await rawExchange(srv.port,
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)}`);
    assert.equal(res.status, 200, res.body);
    const open = JSON.parse(res.body.slice(1));
    assert.equal(typeof open.sid, 'string');
    assert.deepEqual(open.upgrades, ['websocket']);
    // The session it opened takes an origin-form request, and a namespace
    // CONNECT posted to it is answered on the next poll.
    const post = await request({ port: srv.port, method: 'POST', path: `${base()}?EIO=4&transport=polling&sid=${open.sid}`, body: '40' });
    assert.equal(post.status, 200, post.body);
    const poll = await request({ port: srv.port, path: `${base()}?EIO=4&transport=polling&sid=${open.sid}` });
    assert.equal(poll.status, 200, poll.body);
    assert.match(poll.body, /^40\{"sid":"/);
    // The Host of an absolute-form request is its target's, whatever the
    // header says; and a path without a trailing part is "/".
    const other = await rawExchange(srv.port,
      `GET HTTP://127.0.0.1:${srv.port}/health HTTP/1.1\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n`);
    assert.equal(parseResponses(other.data)[0]?.status, 200, other.data.toString('latin1').slice(0, 200));
  });

  it('a WebSocket upgrade in absolute form opens a session that joins', async () => {
    const ws = await rawWebSocket(srv.port, `http://127.0.0.1:${srv.port}${base()}?EIO=4&transport=websocket`);
    try {
      const open = await ws.waitFor((f) => f.opcode === 1 && f.payload[0] === 0x30);
      assert.equal(typeof JSON.parse(open.payload.toString('utf8').slice(1)).sid, 'string');
      ws.sendText('40');
      await ws.waitFor((f) => f.opcode === 1 && f.payload.toString('utf8').startsWith('40{"sid"'));
    } finally {
      ws.destroy();
    }
  });

  it('an absolute-form target without a host, or with userinfo, is 400', async () => {
    for (const target of [`http://user@127.0.0.1:${srv.port}${base()}?EIO=4&transport=polling`, 'http:///health']) {
      const r = await rawExchange(srv.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const [res] = parseResponses(r.data);
      assert.equal(res?.status, 400, `${target}: ${r.data.toString('latin1').slice(0, 200)}`);
    }
    await assertHealthy(srv, { hub: 'h', transports: ['websocket'] });
  });
});
