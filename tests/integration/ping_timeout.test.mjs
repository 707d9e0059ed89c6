// Liveness: a frozen client is dropped by the heartbeat ("ping timeout"), a
// killed client is dropped promptly, and an Engine.IO connection that never
// joins a namespace is closed after engineio.connectTimeout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
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
