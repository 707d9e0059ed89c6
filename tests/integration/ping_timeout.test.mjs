// Liveness: a frozen client is dropped by the heartbeat ("ping timeout"), a
// killed client is dropped promptly, and an Engine.IO connection that never
// joins a namespace is closed after engineio.connectTimeout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startSioServer, escapeRe } from './support/server.mjs';
import { request, eioPath, pollingHandshake, sleep } from './support/clients.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const children = new Set();

/** Starts support/child_client.mjs; resolves { child, socket, connection } once it is connected. */
function startChild(srv, transport) {
  const child = spawn(process.execPath, [path.join(here, 'support', 'child_client.mjs'), srv.origin, srv.path(), transport],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child client did not connect within 10 s: ${stderr}`)), 10000);
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, ...JSON.parse(line) });
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`child client exited ${code}: ${stderr}`)); });
  });
}

function killChildren() {
  for (const c of children) {
    try { c.kill('SIGCONT'); } catch { /* gone */ }
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}
after(killChildren);

/** Splits an Engine.IO polling payload into its packets. */
const packets = (body) => body.split('\x1e');

describe('heartbeat drops dead clients (pingInterval 300, pingTimeout 300)', { timeout: 30000 }, () => {
  let srv;
  before(async () => {
    srv = await startSioServer({ hubs: ['h'], engineio: { pingInterval: 300, pingTimeout: 300 } });
  });
  after(async () => { killChildren(); await srv?.kill(); });

  for (const transport of ['websocket', 'polling']) {
    it(`logs reason=ping timeout within 3 s for a frozen ${transport} client`, async () => {
      const { child, socket } = await startChild(srv, transport);
      await srv.waitForLog(new RegExp(`socket connected .*nsp=/ .*socket=${escapeRe(socket)}(?=\\s|$)`));
      // Stays connected while it answers pings.
      await sleep(1000);
      assert.equal(srv.logs.filter((l) => l.includes(`socket=${socket}`) && l.includes('socket disconnected')).length, 0,
        'a live client must not be disconnected');
      // SIGSTOP keeps the TCP connection open but silences the client: only the
      // heartbeat can notice (a SIGKILL lets the kernel close the socket).
      const t0 = Date.now();
      child.kill('SIGSTOP');
      const line = await srv.waitForLog(new RegExp(`socket disconnected .*socket=${escapeRe(socket)}(?=\\s|$)`), 3000);
      assert.match(line, /hub=h /);
      assert.match(line, /nsp=\/ /);
      assert.match(line, /reason=ping timeout/);
      assert.ok(Date.now() - t0 >= 250, 'disconnected before a ping could have gone unanswered');
      child.kill('SIGKILL');
    });

    it(`logs socket disconnected within 3 s after a ${transport} client is SIGKILLed`, async () => {
      const { child, socket } = await startChild(srv, transport);
      await srv.waitForLog(new RegExp(`socket connected .*socket=${escapeRe(socket)}(?=\\s|$)`));
      child.kill('SIGKILL');
      const line = await srv.waitForLog(new RegExp(`socket disconnected .*socket=${escapeRe(socket)}(?=\\s|$)`), 3000);
      assert.match(line, /reason=(ping timeout|transport close|transport error)/);
    });
  }
});

describe('connectTimeout 1000 ms closes connections without a namespace', { timeout: 30000 }, () => {
  let srv;
  before(async () => {
    // Long heartbeat so only connectTimeout can close the raw sessions below.
    srv = await startSioServer({ hubs: ['h'], engineio: { connectTimeout: 1000, pingInterval: 25000, pingTimeout: 20000 } });
  });
  after(async () => { await srv?.kill(); });

  it('closes a polling session that never sends CONNECT within 3 s', async () => {
    const t0 = Date.now();
    const { sid } = await pollingHandshake(srv);
    let closedAt = null;
    let how = '';
    while (Date.now() - t0 < 3500) {
      const res = await request({ port: srv.port, path: eioPath(srv.path(), { sid }), timeoutMs: 3500 - (Date.now() - t0) + 100 })
        .catch((e) => ({ status: 0, body: String(e.message) }));
      if (res.status === 400) { closedAt = Date.now(); how = '400'; break; }
      if (res.status === 200 && packets(res.body).includes('1')) { closedAt = Date.now(); how = 'close packet'; break; }
      assert.equal(res.status, 200, `unexpected poll answer ${res.status} ${res.body}`);
    }
    assert.ok(closedAt, 'session still open 3 s after a handshake without CONNECT');
    const elapsed = closedAt - t0;
    assert.ok(elapsed >= 800, `closed after ${elapsed} ms, before connectTimeout (1000 ms) (${how})`);
    assert.ok(elapsed <= 3000, `closed only after ${elapsed} ms`);
    // Whatever way it was closed, the sid is gone now.
    const later = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
    assert.equal(later.status, 400);
  });

  it('keeps a polling session that joined a namespace in time', async () => {
    const { sid } = await pollingHandshake(srv);
    const post = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }),
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: '40' });
    assert.equal(post.status, 200);
    const connect = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
    assert.match(connect.body, /^40\{"sid":"[^"]+"\}/);
    // A poll held across the connectTimeout must not be answered with close.
    const held = request({ port: srv.port, path: eioPath(srv.path(), { sid }), timeoutMs: 10000 });
    const outcome = await Promise.race([held.then((r) => r), sleep(2000).then(() => 'still pending')]);
    assert.equal(outcome, 'still pending', `joined session was answered: ${JSON.stringify(outcome)}`);
    // Clean close: POST 1; the held poll then completes.
    const bye = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }),
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: '1' });
    assert.equal(bye.status, 200);
    await held.catch(() => {});
  });
});

describe('connectTimeout longer than the ping interval', { timeout: 30000 }, () => {
  // The session arms its connect-timeout tick only when the deadline comes
  // within one ping cycle; a client that answers every ping but never joins
  // a namespace must still be closed on time, and one that joins, never.
  let srv;
  before(async () => {
    srv = await startSioServer({ hubs: ['h'], engineio: { connectTimeout: 2500, pingInterval: 300, pingTimeout: 2000 } });
  });
  after(async () => { await srv?.kill(); });

  /** A raw WebSocket Engine.IO client that answers pings; `join` sends 40. */
  async function rawClient(join) {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${eioPath(srv.path(), { transport: 'websocket' })}`);
    const seen = { pings: 0, closedAt: null, frames: [] };
    ws.on('message', (data) => {
      const text = data.toString();
      seen.frames.push(text);
      if (text === '2') { seen.pings++; ws.send('3'); }
      if (text.startsWith('0') && join) ws.send('40');
    });
    ws.on('close', () => { seen.closedAt = Date.now(); });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return { ws, seen, t0: Date.now() };
  }

  it('closes a client that answers pings but never joins, at the deadline', async () => {
    const { seen, t0 } = await rawClient(false);
    while (!seen.closedAt && Date.now() - t0 < 6000) await sleep(50);
    assert.ok(seen.closedAt, `still open after 6 s (${seen.pings} pings answered)`);
    const elapsed = seen.closedAt - t0;
    assert.ok(seen.pings >= 4, `only ${seen.pings} pings before the close`);
    assert.ok(elapsed >= 2200 && elapsed <= 4000, `closed after ${elapsed} ms, connectTimeout is 2500 ms`);
  });

  it('keeps a client that joined, past the deadline', async () => {
    const { ws, seen } = await rawClient(true);
    await sleep(4000);
    assert.equal(seen.closedAt, null, `closed: ${seen.frames.slice(-3).join(' | ')}`);
    assert.ok(seen.frames.some((f) => f.startsWith('40{')), 'no CONNECT answer');
    assert.ok(seen.pings >= 8, `only ${seen.pings} pings in 4 s at 300 ms`);
    ws.close();
  });
});

describe('heartbeat deadlines are never late (pingInterval 300, pingTimeout 200)', { timeout: 60000 }, () => {
  // The reference server closes a session pingTimeout after its ping, to the
  // millisecond (Node timers). Ours may wake coarsely for memory's sake, but
  // must never keep a session past its deadline.
  const INTERVAL = 300;
  const TIMEOUT = 200;
  let srv;
  before(async () => {
    srv = await startSioServer({ hubs: ['h'],
      engineio: { pingInterval: INTERVAL, pingTimeout: TIMEOUT, connectTimeout: 30000 } });
  });
  after(async () => { await srv?.kill(); });

  for (const slackMs of [2, 3, 5]) {
    it(`a polling session that did not answer its ping is gone ${slackMs} ms after pingTimeout`, async () => {
      const { sid } = await pollingHandshake(srv);
      const ping = await request({ port: srv.port, path: eioPath(srv.path(), { sid }), timeoutMs: 5000 });
      // The ping left the server no later than the client read it, so the
      // server's deadline is at or before this client-side instant.
      const pingAt = performance.now();
      assert.equal(ping.status, 200);
      assert.deepEqual(packets(ping.body), ['2']);
      const until = pingAt + TIMEOUT + slackMs;
      while (performance.now() < until) await new Promise((r) => setImmediate(r));
      const late = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
      assert.equal(late.status, 400, `polled ${(performance.now() - pingAt).toFixed(1)} ms after the ping: `
        + `${late.status} ${JSON.stringify(late.body)}`);
    });
  }

  it('a polling session that answers its ping just before the deadline stays open', async () => {
    const { sid } = await pollingHandshake(srv);
    const ping = await request({ port: srv.port, path: eioPath(srv.path(), { sid }), timeoutMs: 5000 });
    const pingAt = performance.now();
    assert.deepEqual(packets(ping.body), ['2']);
    await sleep(TIMEOUT - 60);
    const pong = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }),
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: '3' });
    assert.equal(pong.status, 200, `pong ${(performance.now() - pingAt).toFixed(1)} ms after the ping`);
    // The next ping comes one interval after the pong: the session lives on.
    const next = await request({ port: srv.port, path: eioPath(srv.path(), { sid }), timeoutMs: 5000 });
    assert.equal(next.status, 200);
    assert.deepEqual(packets(next.body), ['2']);
  });

  /** A raw WebSocket that never answers pings: resolves the client-side times of open, ping and close. */
  function silentWs() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${srv.path()}/?EIO=4&transport=websocket`);
      const t = {};
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no close within 5 s: ${JSON.stringify(t)}`)); }, 5000);
      ws.on('message', (data) => {
        const now = performance.now();
        const s = data.toString();
        if (s[0] === '0') t.open = now;
        else if (s === '2' && t.ping === undefined) t.ping = now;
      });
      ws.on('close', () => { clearTimeout(timer); t.close = performance.now(); resolve(t); });
      ws.on('error', reject);
    });
  }

  it('a WebSocket pong that comes after the deadline does not keep the session', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${srv.path()}/?EIO=4&transport=websocket`);
    const texts = [];
    const closed = new Promise((resolve) => ws.on('close', () => resolve(performance.now())));
    const pinged = new Promise((resolve) => ws.on('message', (d) => {
      texts.push(d.toString());
      if (d.toString() === '2') resolve(performance.now());
    }));
    const pingAt = await Promise.race([pinged, sleep(5000).then(() => null)]);
    assert.ok(pingAt, `no ping within 5 s: ${JSON.stringify(texts)}`);
    const until = pingAt + TIMEOUT + 3;
    while (performance.now() < until) await new Promise((r) => setImmediate(r));
    if (ws.readyState === WebSocket.OPEN) ws.send('3');
    // Closed at once: well before the next ping would be due.
    const closedAt = await Promise.race([closed, sleep(INTERVAL / 2).then(() => null)]);
    assert.ok(closedAt, `session kept after a pong ${TIMEOUT + 3} ms after its ping: ${JSON.stringify(texts)}`);
    assert.deepEqual(texts.filter((x) => x === '2'), ['2'], 'a second ping came');
  });

  it('a WebSocket session that did not answer its ping is closed at its deadline, not later', async (t) => {
    // Staggered starts spread the deadlines over the wheel's slots.
    const runs = [];
    for (let i = 0; i < 9; i++) {
      runs.push(silentWs());
      await sleep(7 + 3 * i);
    }
    const times = await Promise.all(runs);
    const sorted = (xs) => [...xs].sort((a, b) => a - b);
    // Client-side, each interval is the server's plus one loopback delivery
    // and this process's own wake-up: well under a millisecond on an idle
    // machine, several on a busy one. The fastest of nine shows the
    // server's own timing; the median bounds what load adds.
    const pingLate = times.map((x) => x.ping - x.open - INTERVAL);
    const closeLate = times.map((x) => x.close - x.ping - TIMEOUT);
    const detail = `ping late ${pingLate.map((x) => x.toFixed(1))} ms; close late ${closeLate.map((x) => x.toFixed(1))} ms`;
    t.diagnostic(detail);
    assert.ok(sorted(closeLate)[0] > -10, `closed before its deadline: ${detail}`);
    assert.ok(sorted(closeLate)[0] <= 4, `no close within 4 ms of its deadline: ${detail}`);
    assert.ok(sorted(pingLate)[0] <= 4, `no ping within 4 ms of its time: ${detail}`);
    assert.ok(sorted(closeLate)[4] <= 15, `closes late: ${detail}`);
    assert.ok(sorted(closeLate)[8] <= 100, `a close far too late: ${detail}`);
  });
});
