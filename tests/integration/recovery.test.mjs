// Connection state recovery (docs: shared recovery.md): real socket.io-client
// sockets (WebSocket and polling) lose their transport, REST sends happen
// while they are away, and they come back with their pid and offset: same
// socket id, rooms and user, every missed event once and in order, and a
// webhook upstream that never sees the blip (no disconnected, no second
// connect). Also the window's end (disconnected with the original reason),
// clean ends that keep nothing, hostile pids and offsets, the per-session
// bounds, /metrics, and python3-socketio (no recovery) on such a hub.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startSioServer } from './support/server.mjs';
import { manager, closeAll, sleep, request } from './support/clients.mjs';
import { signJwt } from './support/hostile.mjs';
import { nsGroup, roomGroup, recorder, until } from './support/records.mjs';
import { startPythonListener } from './support/python_listener.mjs';

const LONG = 60000; // hub "rec": the window outlasts the file
const SHORT = 1500; // hub "short": the expiry test
const SMALL_WINDOW = 2000; // hub "small": the per-session bounds
const SLACK = 2500; // CI slack on top of the contract's "window + 1 s"

let srv;
let up;
// What the tests found wrong in /metrics on their way (checked at the end,
// so that a missing gauge does not hide how recovery itself behaves).
const metricProblems = [];

// ---------------------------------------------------------------- upstream

/** A webhook upstream that records every call; connect answers {userId} when auth.user is given. */
async function startUpstream() {
  const calls = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rec = { at: Date.now(), method: req.method, url: req.url, headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8') };
      calls.push(rec);
      if (req.method === 'OPTIONS') {
        res.setHeader('WebHook-Allowed-Origin', '*');
        res.end();
        return;
      }
      if (req.headers['ce-eventname'] === 'connect') {
        let auth = null;
        try { auth = JSON.parse(rec.body).auth; } catch { /* no body */ }
        if (auth && typeof auth.user === 'string') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ userId: auth.user }));
          return;
        }
      }
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    port: server.address().port,
    posts: () => calls.filter((c) => c.method === 'POST'),
    /** The webhook POSTs of one socket id, in arrival order. */
    of: (socketId) => calls.filter((c) => c.method === 'POST' && c.headers['ce-socketid'] === socketId),
    async close() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

const eventsOf = (socketId) => up.of(socketId).map((r) => r.headers['ce-eventname']);
const disconnectedOf = (socketId) => up.of(socketId).find((r) => r.headers['ce-eventname'] === 'disconnected');

// -------------------------------------------------------------------- REST

/** One signed REST call on hub `hub`; resolves { status, body, headers }. */
async function rest(hub, method, route, body, query = '') {
  const p = `/api/hubs/${hub}/${route}?api-version=2024-01-01${query ? `&${query}` : ''}`;
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt({ aud: srv.origin + p, iat: now, exp: now + 300 }, srv.key);
  return request({
    port: srv.port, method, path: p, body,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
  });
}

/** A REST send that must be accepted (202). */
async function send(hub, route, body, query = '') {
  const res = await rest(hub, 'POST', route, body, query);
  assert.equal(res.status, 202, `POST ${route} ${JSON.stringify(body)}: ${res.status} ${res.body}`);
}

const toGroup = (g) => `groups/${g}/:send`;
const toConnection = (cid) => `connections/${cid}/:send`;
const toUser = (u) => `users/${encodeURIComponent(u)}/:send`;

async function join(hub, group, cid) {
  const res = await rest(hub, 'PUT', `groups/${group}/connections/${cid}`);
  assert.equal(res.status, 200, `join ${group}: ${res.status} ${res.body}`);
}

// ----------------------------------------------------------------- metrics

/** Every series of /metrics as { name, labels: {..}, value }. */
async function scrape() {
  const res = await request({ port: srv.port, path: '/metrics' });
  assert.equal(res.status, 200);
  const out = [];
  for (const line of res.body.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of `name` for hub (and extra labels); null when the series is absent. */
async function metric(name, hub, extra = {}) {
  const want = { hub, ...extra };
  const s = (await scrape()).find((x) => x.name === name
    && Object.entries(want).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : null;
}
const num = (v) => v ?? 0;
const kept = async (hub) => num(await metric('sio_recovery_kept_sessions', hub));

/**
 * Waits until the hub keeps `atLeast` sessions (the server noticed the loss),
 * at most 2 s; otherwise notes the problem and goes on after a pause.
 */
async function waitKept(hub, atLeast, what) {
  const end = Date.now() + 2000;
  let v = 0;
  while (Date.now() < end) {
    v = await kept(hub);
    if (v >= atLeast) return;
    await sleep(25);
  }
  metricProblems.push(`sio_recovery_kept_sessions{hub="${hub}"} stayed ${v} (< ${atLeast}) after ${what}`);
  await sleep(300);
}

// ----------------------------------------------------------------- clients

/** A manager that does not reconnect by itself (the tests reconnect when the gap is over). */
function mgr(hub, { transports = ['websocket'], ...opts } = {}) {
  return manager(srv, { hub, transports, forceNew: true,
    reconnectionDelay: 100, reconnectionDelayMax: 200, ...opts });
}

/** Resolves { ok: true } on `connect`, { ok: false, message } on connect_error, rejects after ms. */
function outcome(s, ms = 5000) {
  return new Promise((resolve, reject) => {
    const done = (v) => { clearTimeout(timer); s.off('connect', onOk); s.off('connect_error', onErr); resolve(v); };
    const onOk = () => done({ ok: true });
    const onErr = (e) => done({ ok: false, message: e?.message });
    const timer = setTimeout(() => {
      s.off('connect', onOk); s.off('connect_error', onErr);
      reject(new Error(`neither connect nor connect_error on ${s.nsp} within ${ms} ms`));
    }, ms);
    s.on('connect', onOk);
    s.on('connect_error', onErr);
  });
}

/** Opens a socket with its event recorder attached before the CONNECT answer. */
async function open(hub, { nsp = '/', auth, transports, ...opts } = {}) {
  const m = mgr(hub, { transports, ...opts });
  const s = m.socket(nsp, auth ? { auth } : {});
  const got = recorder(s);
  const r = await outcome(s);
  if (!r.ok) throw new Error(`connect_error on ${hub}${nsp}: ${r.message}`);
  return { s, m, got };
}

/** A raw attempt: a new client presenting `auth` (e.g. { pid, offset }) in its CONNECT. */
async function attempt(hub, auth, { nsp = '/', transports } = {}) {
  const m = mgr(hub, { transports });
  const s = m.socket(nsp, { auth });
  const got = recorder(s);
  const r = await outcome(s);
  return { s, m, got, ...r, id: s.id, pid: s._pid };
}

/** Resolves with `promise`, or rejects with `what` after ms (the timer cleared either way). */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Cuts the transport from the client side (the server sees "transport close"); waits for the client's disconnect. */
async function cut(s, how = 'close') {
  const gone = new Promise((resolve) => s.once('disconnect', resolve));
  if (how === 'tcp') s.io.engine.transport.ws._socket.destroy();
  else s.io.engine.close();
  await within(gone, 3000, 'the client saw no disconnect');
}

/** The client comes back (its CONNECT carries its pid and last offset). */
async function reconnect(s) {
  const r = outcome(s);
  s.connect();
  const o = await r;
  if (!o.ok) throw new Error(`reconnect: connect_error ${o.message}`);
}

/** Splits a recorded event into { name, args, offset } (the offset is the last argument). */
function split(ev) {
  const [name, ...rest] = ev;
  return { name, args: rest.slice(0, -1), offset: rest.at(-1) };
}

const isOffset = (o) => typeof o === 'string' && /^\d+$/.test(o);

/** Asserts the offsets are decimal strings, strictly increasing (after `after`, when given). */
function assertIncreasing(events, after) {
  let prev = after === undefined ? -1n : BigInt(after);
  for (const ev of events) {
    const { offset } = split(ev);
    assert.ok(isOffset(offset), `offset of ${JSON.stringify(ev)} is not a decimal string`);
    assert.ok(BigInt(offset) > prev, `offset ${offset} after ${prev} in ${JSON.stringify(events)}`);
    prev = BigInt(offset);
  }
}

/** Names and arguments without the offsets (Buffers as arrays). */
const payloads = (events) => events.map((ev) => {
  const { name, args } = split(ev);
  return [name, ...args.map((a) => (Buffer.isBuffer(a) || a instanceof ArrayBuffer ? [...Buffer.from(a)] : a))];
});

// ------------------------------------------------------------------- setup

function webhookHub(recovery) {
  return {
    anonymousConnectPolicy: 'allow',
    eventHandlers: [{ urlTemplate: `http://127.0.0.1:${up.port}/{hub}/{event}`, userEventPattern: '*',
      systemEvents: ['connect', 'connected', 'disconnected'] }],
    connectionStateRecovery: recovery,
  };
}

let start;
before(async () => {
  start = Date.now();
  up = await startUpstream();
  srv = await startSioServer({
    hubs: {
      rec: webhookHub({ maxDisconnectionDuration: LONG }),
      short: webhookHub({ maxDisconnectionDuration: SHORT }),
      small: webhookHub({ maxDisconnectionDuration: SMALL_WINDOW, maxMissedPackets: 3, maxMissedBytes: 1024 }),
      tiny: webhookHub({ maxDisconnectionDuration: LONG, maxKeptSessions: 1, maxKeptPackets: 2 }),
      plain: webhookHub(undefined),
      inproc: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo',
        connectionStateRecovery: { maxDisconnectionDuration: LONG } },
    },
  });
});

after(async () => {
  closeAll();
  await srv?.kill();
  await up?.close();
  process.stderr.write(`# recovery.test.mjs: ${Date.now() - start} ms from the server start\n`);
});

// Recoveries done on hub "rec" (checked against sio_recovery_recovered_total at the end).
let recoveriesOnRec = 0;
let recoveredAtStart = null;

describe('connection state recovery', { timeout: 60000 }, () => {
  it('reads the metrics before anything happens', async () => {
    recoveredAtStart = num(await metric('sio_recovery_recovered_total', 'rec'));
  });

  it('answers CONNECT with a pid, stamps offsets on events, and none without recovery', async () => {
    const { s, got } = await open('rec');
    assert.equal(typeof s._pid, 'string', 'the CONNECT answer carries a pid');
    assert.ok(s._pid.length >= 8, `pid ${s._pid}`);
    await send('rec', toConnection(s.io.engine.id), '42["chat","hi"]');
    await send('rec', toConnection(s.io.engine.id), '42["chat","again",{"n":1}]');
    // A body of several packets: each its own offset.
    await send('rec', toConnection(s.io.engine.id), '42["multi",1]\x1e42["multi",2]\x1e42["multi",3]');
    await until(() => got.length === 5, 3000, 'five events');
    assert.deepEqual(payloads(got), [['chat', 'hi'], ['chat', 'again', { n: 1 }], ['multi', 1], ['multi', 2], ['multi', 3]]);
    assertIncreasing(got);
    // An acked send gets no offset (and the ack carries what the client answers).
    s.on('ask', (...args) => args.at(-1)(args.length));
    const acked = await rest('rec', 'POST', toConnection(s.io.engine.id), '42["ask",1]', 'ackTimeout=3000');
    assert.equal(acked.status, 200, acked.body);
    const answer = JSON.parse(acked.body);
    assert.deepEqual(answer.acks.map((a) => a.args), [[2]], 'the acked event came as ["ask",1,cb]: no offset');
    s.disconnect();

    // A hub without recovery: no pid, no offset.
    const p = await open('plain');
    assert.equal(p.s._pid, undefined, 'no pid without recovery');
    await send('plain', toConnection(p.s.io.engine.id), '42["chat","hi"]');
    await until(() => p.got.length === 1, 3000, 'the event');
    assert.deepEqual(p.got, [['chat', 'hi']]);
    p.s.disconnect();
  });

  it('WebSocket: restores id, rooms and user, replays the gap once in order, invisible to the upstream', async () => {
    const user = 'ws-user';
    const { s, got } = await open('rec', { auth: { user } });
    const sid = s.id;
    const oldCid = s.io.engine.id;
    assert.equal(s.io.engine.transport.name, 'websocket');
    const room = roomGroup('/', 'ws-room');
    await join('rec', room, oldCid);
    await until(() => eventsOf(sid).includes('connected'), 3000, 'the connected webhook');

    await send('rec', toGroup(roomGroup('/', sid)), '42["m","before"]');
    await until(() => got.length === 1, 3000, 'the first event');
    const first = split(got[0]);
    assert.ok(isOffset(first.offset), `offset ${first.offset}`);

    const k0 = await kept('rec');
    await cut(s);
    await waitKept('rec', k0 + 1, 'a WebSocket cut');
    const head = await rest('rec', 'HEAD', `connections/${oldCid}`);
    assert.ok([200, 404].includes(head.status), `HEAD of the away connection: ${head.status}`);

    // Everything that would have reached it while it is away.
    await send('rec', toGroup(room), '42["m","room"]');
    await send('rec', toGroup(nsGroup('/')), '42["m","namespace"]');
    await send('rec', toConnection(oldCid), '42["m","old connection"]');
    await send('rec', ':send', '42["m","hub"]');
    await send('rec', toGroup(roomGroup('/', sid)), '42["m","own room"]');
    await send('rec', toUser(user), '42["m","user"]');
    await send('rec', toGroup(roomGroup('/', sid)),
      `451-["bin",{"_placeholder":true,"num":0},"x"]\x1eb${Buffer.from([1, 2, 3]).toString('base64')}`);
    // Not for it: another room, another namespace, excluded, another user.
    await send('rec', toGroup(roomGroup('/', 'elsewhere')), '42["m","not: other room"]');
    await send('rec', toGroup(nsGroup('/other')), '42/other,["m","not: other namespace"]');
    await send('rec', toGroup(nsGroup('/')), '42["m","not: excluded"]', `excluded=${oldCid}`);
    await send('rec', toUser('someone-else'), '42["m","not: other user"]');
    await send('rec', toGroup(room), '42["m","last"]');

    await reconnect(s);
    assert.equal(s.recovered, true, 'socket.recovered');
    assert.equal(s.id, sid, 'same socket id');
    const newCid = s.io.engine.id;
    assert.notEqual(newCid, oldCid);
    assert.equal(s.io.engine.transport.name, 'websocket');
    recoveriesOnRec++;
    const expected = [['m', 'before'], ['m', 'room'], ['m', 'namespace'], ['m', 'old connection'], ['m', 'hub'],
      ['m', 'own room'], ['m', 'user'], ['bin', [1, 2, 3], 'x'], ['m', 'last']];
    await until(() => got.length >= expected.length, 3000, `${expected.length} events (got ${JSON.stringify(payloads(got))})`);
    await sleep(300); // nothing more comes: each once
    assert.deepEqual(payloads(got), expected);
    assertIncreasing(got);

    // Rooms and user are back, and the old connection id names the new connection.
    await send('rec', toGroup(room), '42["n","room"]');
    await send('rec', toUser(user), '42["n","user"]');
    await send('rec', toConnection(oldCid), '42["n","old id"]');
    await send('rec', toConnection(newCid), '42["n","new id"]');
    await join('rec', roomGroup('/', 'ws-room-2'), oldCid); // a room joined through the old id
    await send('rec', toGroup(roomGroup('/', 'ws-room-2')), '42["n","joined by old id"]');
    await until(() => got.length === expected.length + 5, 3000, `five sends after the recovery (got ${JSON.stringify(payloads(got.slice(expected.length)))})`);
    assert.deepEqual(payloads(got.slice(expected.length)),
      [['n', 'room'], ['n', 'user'], ['n', 'old id'], ['n', 'new id'], ['n', 'joined by old id']]);
    assertIncreasing(got);
    assert.equal((await rest('rec', 'HEAD', `connections/${oldCid}`)).status, 200, 'HEAD of the old connection id');
    assert.equal((await rest('rec', 'HEAD', `connections/${newCid}`)).status, 200, 'HEAD of the new connection id');

    // The upstream: one connect and connected, no disconnected; the new connection id, the same socket id.
    s.emit('after', 1);
    await until(() => eventsOf(sid).includes('after'), 3000, 'the message webhook');
    assert.deepEqual(eventsOf(sid), ['connect', 'connected', 'after']);
    const msg = up.of(sid).find((r) => r.headers['ce-eventname'] === 'after');
    assert.equal(msg.headers['ce-connectionid'], newCid, 'ce-connectionId is the new connection');
    assert.equal(msg.headers['ce-socketid'], sid);
    assert.equal(msg.headers['ce-userid'], user);
    assert.equal(msg.body, '42["after",1]');

    // A REST close naming the old id closes the new connection, and ends the socket at once.
    const gone = new Promise((resolve) => s.once('disconnect', resolve));
    const del = await rest('rec', 'DELETE', `connections/${oldCid}`);
    assert.ok([200, 204].includes(del.status), `DELETE of the old id: ${del.status} ${del.body}`);
    await within(gone, 3000, 'the REST close of the old id did not reach the new connection');
    await until(() => disconnectedOf(sid), 1500, 'disconnected at once after the REST close');
    assert.equal(disconnectedOf(sid).headers['ce-connectionid'], newCid);
    assert.deepEqual(eventsOf(sid), ['connect', 'connected', 'after', 'disconnected']);
    assert.equal((await rest('rec', 'HEAD', `connections/${newCid}`)).status, 404, 'HEAD of the closed connection');
  });

  it('polling: restores the socket and replays the gap in order', async () => {
    const { s, got } = await open('rec', { transports: ['polling'] });
    const sid = s.id;
    const oldCid = s.io.engine.id;
    assert.equal(s.io.engine.transport.name, 'polling');
    const room = roomGroup('/', 'poll-room');
    await join('rec', room, oldCid);
    await send('rec', toGroup(room), '42["p",0]');
    await until(() => got.length === 1, 3000, 'the first event');

    const k0 = await kept('rec');
    await cut(s);
    await waitKept('rec', k0 + 1, 'a polling cut');
    await send('rec', toGroup(room), '42["p",1]');
    await send('rec', toGroup(nsGroup('/')), '42["p",2]');
    await send('rec', toConnection(oldCid), '42["p",3]');
    await send('rec', toGroup(roomGroup('/', sid)),
      `451-["p",{"_placeholder":true,"num":0}]\x1eb${Buffer.from([9, 8]).toString('base64')}`);
    await send('rec', toGroup(room), '42["p",5]');

    await reconnect(s);
    assert.equal(s.io.engine.transport.name, 'polling');
    assert.equal(s.recovered, true, 'socket.recovered');
    assert.equal(s.id, sid, 'same socket id');
    recoveriesOnRec++;
    await until(() => got.length >= 6, 3000, `6 events (got ${JSON.stringify(payloads(got))})`);
    await sleep(300);
    assert.deepEqual(payloads(got), [['p', 0], ['p', 1], ['p', 2], ['p', 3], ['p', [9, 8]], ['p', 5]]);
    assertIncreasing(got);
    assert.deepEqual(eventsOf(sid), ['connect', 'connected']);
    s.disconnect();
  });

  it('recovers a client that had received no event before the cut', async () => {
    const { s, got } = await open('rec');
    const sid = s.id;
    const oldCid = s.io.engine.id;
    assert.equal(s._lastOffset, undefined, 'no offset yet: the reconnect CONNECT carries none');
    const k0 = await kept('rec');
    await cut(s);
    await waitKept('rec', k0 + 1, 'a cut before any event');
    await send('rec', toGroup(roomGroup('/', sid)), '42["q","one"]');
    await send('rec', toConnection(oldCid), '42["q","two"]');
    await reconnect(s);
    assert.equal(s.recovered, true, 'socket.recovered');
    assert.equal(s.id, sid);
    recoveriesOnRec++;
    await until(() => got.length >= 2, 3000, 'the two missed events');
    await sleep(200);
    assert.deepEqual(payloads(got), [['q', 'one'], ['q', 'two']]);
    assertIncreasing(got);
    assert.deepEqual(eventsOf(sid), ['connect', 'connected']);
    s.disconnect();
  });

  it('the client\'s own reconnection after a dropped TCP connection recovers the socket', async () => {
    const { s, got } = await open('rec', { reconnection: true });
    const sid = s.id;
    await send('rec', toGroup(roomGroup('/', sid)), '42["r",1]');
    await until(() => got.length === 1, 3000, 'the first event');
    const back = new Promise((resolve) => s.once('connect', resolve));
    await cut(s, 'tcp');
    await within(back, 5000, 'no automatic reconnect');
    assert.equal(s.recovered, true, 'socket.recovered');
    assert.equal(s.id, sid);
    recoveriesOnRec++;
    await send('rec', toGroup(roomGroup('/', sid)), '42["r",2]');
    await until(() => got.length === 2, 3000, 'an event after the recovery');
    assert.deepEqual(payloads(got), [['r', 1], ['r', 2]]);
    assertIncreasing(got);
    assert.deepEqual(eventsOf(sid), ['connect', 'connected'], 'no webhook for the blip');
    s.disconnect();
  });

  it('sends disconnected with the original reason when the window passes; then a fresh socket', async () => {
    const expiredBefore = num(await metric('sio_recovery_expired_total', 'short'));
    const { s, got } = await open('short');
    const sid = s.id;
    await send('short', toGroup(roomGroup('/', sid)), '42["e",1]');
    await until(() => got.length === 1, 3000, 'the first event');
    const t0 = Date.now();
    await cut(s);
    await until(() => disconnectedOf(sid), SHORT + 1000 + SLACK, 'the disconnected webhook after the window');
    const d = disconnectedOf(sid);
    const ms = d.at - t0;
    assert.ok(ms >= SHORT - 100, `disconnected came ${ms} ms after the loss, before the ${SHORT} ms window`);
    assert.deepEqual(JSON.parse(d.body), { reason: 'transport close' });
    assert.deepEqual(eventsOf(sid), ['connect', 'connected', 'disconnected']);
    await until(async () => num(await metric('sio_recovery_expired_total', 'short')) > expiredBefore, 2000,
      'sio_recovery_expired_total{hub="short"} grows').catch((e) => metricProblems.push(e.message));

    const unknownBefore = num(await metric('sio_recovery_refused_total', 'short', { reason: 'unknown' }));
    await reconnect(s);
    assert.equal(s.recovered, false, 'recovered after the window');
    await until(async () => num(await metric('sio_recovery_refused_total', 'short', { reason: 'unknown' })) > unknownBefore,
      1000, 'sio_recovery_refused_total{hub="short",reason="unknown"} grows for an expired pid')
      .catch((e) => metricProblems.push(e.message));
    assert.notEqual(s.id, sid, 'a fresh socket id');
    await sleep(200);
    assert.deepEqual(payloads(got), [['e', 1]], 'nothing replayed');
    s.disconnect();
  });

  it('keeps nothing after a clean disconnect or a REST close', async () => {
    // socket.disconnect(): disconnected at once; the old pid gives a fresh socket.
    const { s, got } = await open('rec');
    const sid = s.id;
    await send('rec', toGroup(roomGroup('/', sid)), '42["c",1]');
    await until(() => got.length === 1, 3000, 'the first event');
    const pid = s._pid;
    const offset = s._lastOffset;
    const t0 = Date.now();
    s.disconnect();
    await until(() => disconnectedOf(sid), 1500, 'disconnected at once after socket.disconnect()');
    assert.deepEqual(JSON.parse(disconnectedOf(sid).body), { reason: '' });
    assert.ok(disconnectedOf(sid).at - t0 < 1000, 'at once');
    await send('rec', ':send', '42["c","gone"]');
    const raw = await attempt('rec', { pid, offset });
    assert.ok(raw.ok, `raw reconnect refused: ${raw.message}`);
    assert.notEqual(raw.id, sid, 'the raw reconnect with the old pid got the old socket');
    await reconnect(s); // the same client object presents its pid again
    assert.equal(s.recovered, false);
    assert.notEqual(s.id, sid);
    await sleep(300);
    assert.deepEqual(raw.got, [], 'nothing replayed to the raw reconnect');
    assert.deepEqual(payloads(got), [['c', 1]], 'nothing replayed to the old client');
    raw.s.disconnect();
    s.disconnect();

    // A REST close (DELETE connection): disconnected at once; its pid gives a fresh socket.
    const b = await open('rec');
    const bid = b.s.id;
    await send('rec', toGroup(roomGroup('/', bid)), '42["d",1]');
    await until(() => b.got.length === 1, 3000, 'the first event');
    const gone = new Promise((resolve) => b.s.once('disconnect', resolve));
    const del = await rest('rec', 'DELETE', `connections/${b.s.io.engine.id}`);
    assert.ok([200, 204].includes(del.status), `DELETE: ${del.status} ${del.body}`);
    await within(gone, 3000, 'the client was not disconnected');
    await until(() => disconnectedOf(bid), 1500, 'disconnected at once after the REST close');
    await send('rec', toGroup(roomGroup('/', bid)), '42["d","gone"]');
    await reconnect(b.s);
    assert.equal(b.s.recovered, false, 'recovered after a REST close');
    assert.notEqual(b.s.id, bid);
    await sleep(300);
    assert.deepEqual(payloads(b.got), [['d', 1]]);
    b.s.disconnect();
  });

  it('gives forged, foreign and misused pids and bad offsets a fresh socket, never another socket\'s data', async () => {
    const unknownBefore = num(await metric('sio_recovery_refused_total', 'rec', { reason: 'unknown' }));
    const secret = (n) => `42["secret",${n}]`;
    /** A victim: connected, one event received, then lost (kept by the hub). */
    async function victim() {
      const v = await open('rec');
      const id = v.s.id;
      const cid = v.s.io.engine.id;
      await join('rec', roomGroup('/', 'vault'), cid);
      await send('rec', toConnection(cid), '42["mine",0]');
      await until(() => v.got.length === 1, 3000, 'the victim\'s first event');
      const k0 = await kept('rec');
      await cut(v.s);
      await waitKept('rec', k0 + 1, 'a victim cut');
      await send('rec', toGroup(roomGroup('/', id)), secret(1));
      await send('rec', toConnection(cid), secret(2));
      return { ...v, id, cid, pid: v.s._pid, offset: v.s._lastOffset };
    }
    const attempts = [];
    /** A hostile attempt: connected with another id (or refused cleanly). */
    async function hostile(label, hub, auth, opts, victimIds) {
      const a = await attempt(hub, auth, opts);
      attempts.push({ label, ...a });
      if (a.ok) {
        for (const vid of victimIds) assert.notEqual(a.id, vid, `${label}: got the victim's socket id`);
        assert.ok(a.id, `${label}: no socket id`);
      }
      return a;
    }

    const v1 = await victim();
    const other = await open('short'); // a live socket of another hub: its pid
    const forged = crypto.randomBytes(12).toString('base64url');
    await hostile('forged pid', 'rec', { pid: forged, offset: v1.offset }, {}, [v1.id]);
    await hostile('forged pid, no offset', 'rec', { pid: forged }, {}, [v1.id]);
    await hostile('pid of another hub', 'rec', { pid: other.s._pid, offset: v1.offset }, {}, [v1.id, other.s.id]);
    await hostile('pid not a string', 'rec', { pid: 42, offset: v1.offset }, {}, [v1.id]);
    other.s.disconnect();

    const v2 = await victim();
    await hostile('pid on another namespace', 'rec', { pid: v2.pid, offset: v2.offset }, { nsp: '/other' }, [v2.id]);

    const bad = { abc: 'abc', negative: '-1', '30 digits': '9'.repeat(30),
      'beyond any given': String(BigInt(v2.offset) + 1000000n), 'not a string': 17 };
    const victims = [v1, v2];
    for (const [what, offset] of Object.entries(bad)) {
      const v = await victim();
      victims.push(v);
      await hostile(`offset ${what}`, 'rec', { pid: v.pid, offset }, {}, [v.id]);
    }

    // Its pid while its owner is still connected.
    const live = await open('rec');
    await send('rec', toConnection(live.s.io.engine.id), '42["live",0]');
    await until(() => live.got.length === 1, 3000, 'the live socket\'s event');
    await hostile('pid of a live socket', 'rec', { pid: live.s._pid, offset: live.s._lastOffset }, {}, [live.s.id]);
    await send('rec', toGroup(roomGroup('/', live.s.id)), '42["live",1]');
    await until(() => live.got.length === 2, 3000, 'the live socket still gets its events');
    assert.ok(live.s.connected, 'the live socket was not disturbed');

    // Everything the attempts got: no secret, nothing of the victims' or the live socket's.
    await sleep(300);
    for (const a of attempts) {
      const names = a.got.map((ev) => ev[0]);
      assert.deepEqual(names.filter((n) => ['secret', 'mine', 'live'].includes(n)), [],
        `${a.label} received another socket's events: ${JSON.stringify(a.got)}`);
    }
    // A send to the rooms the victims were in reaches no attacker.
    await send('rec', toGroup(roomGroup('/', 'vault')), secret(3));
    await sleep(300);
    for (const a of attempts) assert.ok(!a.got.some((ev) => ev[0] === 'secret'), `${a.label} got a vault send`);

    // The victim whose pid was never presented still recovers, with its secrets.
    await reconnect(v1.s);
    assert.equal(v1.s.recovered, true, 'v1 recovers after the forged attempts');
    assert.equal(v1.s.id, v1.id);
    recoveriesOnRec++;
    await until(() => v1.got.length >= 4, 3000, `v1's missed events (got ${JSON.stringify(payloads(v1.got))})`);
    await sleep(200);
    assert.deepEqual(payloads(v1.got), [['mine', 0], ['secret', 1], ['secret', 2], ['secret', 3]]);
    assertIncreasing(v1.got);

    // A pid used by two clients at once: at most one gets the socket.
    const shared = await victim();
    const [a1, a2] = await Promise.all([attempt('rec', { pid: shared.pid, offset: shared.offset }),
      attempt('rec', { pid: shared.pid, offset: shared.offset })]);
    const winners = [a1, a2].filter((a) => a.ok && a.id === shared.id);
    assert.ok(winners.length <= 1, `both clients got socket ${shared.id}`);
    for (const a of [a1, a2]) if (a.ok && a.id !== shared.id) assert.ok(a.id, 'the other has a fresh socket');
    await sleep(300);
    for (const a of [a1, a2]) {
      if (a.ok && a.id === shared.id) {
        assert.deepEqual(payloads(a.got), [['secret', 1], ['secret', 2]], 'the winner gets the gap');
      } else {
        assert.deepEqual(a.got.filter((ev) => ['secret', 'mine'].includes(ev[0])), [],
          `the loser received the victim's events: ${JSON.stringify(a.got)}`);
      }
    }
    if (winners.length === 1) recoveriesOnRec++;

    const unknownAfter = num(await metric('sio_recovery_refused_total', 'rec', { reason: 'unknown' }));
    if (unknownAfter < unknownBefore + 2) {
      metricProblems.push(`sio_recovery_refused_total{hub="rec",reason="unknown"} went ${unknownBefore} -> ${unknownAfter} after 2 unknown pids and 1 of another hub`);
    }
    for (const a of [...attempts, a1, a2]) a.s.disconnect();
    for (const v of victims) v.s.disconnect();
    live.s.disconnect();
  });

  it('stamps in-process emits, and a direct reply does not break the recovery', async () => {
    const a = await open('inproc');
    const b = await open('inproc');
    const aid = a.s.id;
    a.s.emit('broadcast', 1);
    await until(() => a.got.length === 1 && b.got.length === 1, 3000, 'the first broadcast');
    a.s.emit('echo', 'e');
    await until(() => a.got.length === 2, 3000, 'the echo reply');
    assert.deepEqual(a.got[1].slice(0, 2), ['echo', 'e']);
    // A reply straight to the socket is an EVENT it is sent: it gets an offset too (socket.io 4.8's
    // socket.emit goes through the adapter with recovery on). Without one, the client takes the
    // reply's last string argument ("e") for its offset and cannot recover.
    assert.equal(a.got[1].length, 3, `the echo reply ${JSON.stringify(a.got[1])} has no offset`);
    assert.ok(isOffset(a.got[1][2]) && BigInt(a.got[1][2]) > BigInt(a.got[0][2]),
      `the echo reply's offset ${a.got[1][2]} after ${a.got[0][2]}`);
    const k0 = await kept('inproc');
    await cut(a.s);
    await waitKept('inproc', k0 + 1, 'a cut on hub inproc');
    b.s.emit('broadcast', 2);
    b.s.emit('broadcast', 3);
    await until(() => b.got.length === 3, 3000, 'the broadcasts at b');
    await reconnect(a.s);
    assert.equal(a.s.recovered, true, 'recovered after an echo reply');
    assert.equal(a.s.id, aid);
    await until(() => a.got.length >= 4, 3000, `the missed broadcasts (got ${JSON.stringify(a.got)})`);
    await sleep(200);
    const broadcasts = a.got.filter((ev) => ev[0] === 'broadcast');
    assert.deepEqual(payloads(broadcasts), [['broadcast', 1], ['broadcast', 2], ['broadcast', 3]]);
    assert.equal(a.got.length, 4);
    assertIncreasing(broadcasts);
    assertIncreasing(b.got);
    a.s.disconnect();
    b.s.disconnect();
  });

  it('bounds the hub: past maxKeptSessions a loss ends at once; packets evicted from the log end a session', async () => {
    const a = await open('tiny');
    const b = await open('tiny');
    const [aid, bid] = [a.s.id, b.s.id];
    await send('tiny', toGroup(nsGroup('/')), '42["t",0]');
    await until(() => a.got.length === 1 && b.got.length === 1, 3000, 'the first events');
    const k0 = await kept('tiny');
    assert.equal(k0, 0);
    await cut(a.s);
    await waitKept('tiny', 1, 'the first cut on hub tiny');
    const t0 = Date.now();
    await cut(b.s);
    await until(() => disconnectedOf(bid), 1500, 'disconnected at once for a loss past maxKeptSessions');
    assert.ok(disconnectedOf(bid).at - t0 < 1000, `after ${disconnectedOf(bid).at - t0} ms`);
    assert.deepEqual(JSON.parse(disconnectedOf(bid).body), { reason: 'transport close' });
    assert.ok(!disconnectedOf(aid), 'the kept socket ended too');
    // Within the log's bound (2 packets): a recovers.
    await send('tiny', toGroup(roomGroup('/', aid)), '42["t",1]');
    await reconnect(a.s);
    assert.equal(a.s.recovered, true, 'a recovers');
    assert.equal(a.s.id, aid);
    await until(() => a.got.length === 2, 3000, 'the missed event');
    // b was not kept: fresh.
    await reconnect(b.s);
    assert.equal(b.s.recovered, false, 'b was not kept');
    assert.notEqual(b.s.id, bid);
    // Past it: 3 packets, the log keeps 2, the first is gone: a fresh socket.
    await cut(a.s);
    await waitKept('tiny', 1, 'the second cut of a');
    for (let i = 2; i <= 4; i++) await send('tiny', toGroup(roomGroup('/', aid)), `42["t",${i}]`);
    await reconnect(a.s);
    assert.equal(a.s.recovered, false, 'recovered though a missed packet was evicted from the log');
    assert.notEqual(a.s.id, aid);
    await sleep(200);
    assert.deepEqual(payloads(a.got), [['t', 0], ['t', 1]]);
    a.s.disconnect();
    b.s.disconnect();
  });

  it('refuses a session that missed more than maxMissedPackets or maxMissedBytes', async () => {
    const sizeBefore = num(await metric('sio_recovery_refused_total', 'small', { reason: 'size' }));
    const a = await open('small');
    const b = await open('small');
    const [aid, bid] = [a.s.id, b.s.id];
    await send('small', toConnection(a.s.io.engine.id), '42["s",0]');
    await send('small', toConnection(b.s.io.engine.id), '42["s",0]');
    await until(() => a.got.length === 1 && b.got.length === 1, 3000, 'the first events');
    const k0 = await kept('small');
    const t0 = Date.now();
    await Promise.all([cut(a.s), cut(b.s)]);
    await waitKept('small', k0 + 2, 'two cuts on hub small');
    for (let i = 1; i <= 5; i++) await send('small', toGroup(roomGroup('/', aid)), `42["s",${i}]`); // 5 > 3 packets
    await send('small', toGroup(roomGroup('/', bid)), `42["big","${'x'.repeat(2000)}"]`); // 2 kB > 1024 bytes

    await reconnect(a.s);
    await reconnect(b.s);
    assert.equal(a.s.recovered, false, 'recovered after 5 missed packets (max 3)');
    assert.notEqual(a.s.id, aid);
    assert.equal(b.s.recovered, false, 'recovered after 2 kB missed (max 1024 bytes)');
    assert.notEqual(b.s.id, bid);
    await sleep(300);
    assert.deepEqual(payloads(a.got), [['s', 0]], 'nothing replayed');
    assert.deepEqual(payloads(b.got), [['s', 0]], 'nothing replayed');
    const sizeAfter = num(await metric('sio_recovery_refused_total', 'small', { reason: 'size' }));
    assert.ok(sizeAfter >= sizeBefore + 2, `sio_recovery_refused_total{hub="small",reason="size"} ${sizeBefore} -> ${sizeAfter}`);
    // The old sockets end for the upstream, at the latest when the window ends.
    await until(() => disconnectedOf(aid) && disconnectedOf(bid), SMALL_WINDOW + 1000 + SLACK - (Date.now() - t0),
      'the old sockets\' disconnected webhooks');
    for (const id of [aid, bid]) {
      assert.deepEqual(JSON.parse(disconnectedOf(id).body), { reason: 'transport close' });
      assert.ok(disconnectedOf(id).at - t0 <= SMALL_WINDOW + 1000 + SLACK);
    }
    a.s.disconnect();
    b.s.disconnect();
  });

  it('serves python3-socketio (no recovery) on a hub with recovery: fresh sockets that get events', async () => {
    const py = await startPythonListener(srv.origin, srv.path('rec'), 2);
    try {
      await send('rec', toConnection(py.connectionId), '42["news",7]');
      await send('rec', toConnection(py.connectionId), '42["news",{"n":8}]');
      const { code, result, output } = await py.done;
      assert.equal(code, 0, `python client: ${output}`);
      assert.equal(result.complete, true, output);
      // python-socketio passes the offset on as an argument too.
      assert.deepEqual(result.news.map((n) => n[0]), [7, { n: 8 }], output);
      assert.ok(result.news.every((n) => n.length === 2 && isOffset(n[1])), `offsets: ${JSON.stringify(result.news)}`);
    } finally {
      py.stop();
    }
  });

  it('counts recoveries, expiries, refusals and kept sessions in /metrics', async () => {
    const all = await scrape();
    for (const name of ['sio_recovery_recovered_total', 'sio_recovery_expired_total', 'sio_recovery_refused_total']) {
      if (!all.some((x) => x.name === name)) metricProblems.push(`${name} is not in /metrics`);
    }
    if (!all.some((x) => x.name === 'sio_recovery_kept_sessions')) {
      metricProblems.push('sio_recovery_kept_sessions is not in /metrics');
    }
    const recovered = num(await metric('sio_recovery_recovered_total', 'rec')) - recoveredAtStart;
    if (recovered < recoveriesOnRec || recovered > recoveriesOnRec + 1) {
      metricProblems.push(`sio_recovery_recovered_total{hub="rec"} grew by ${recovered}, ${recoveriesOnRec} recoveries were done`);
    }
    assert.deepEqual(metricProblems, []);
  });

  // Last: it stops the server.
  it('a server stopped with SIGTERM ends the sockets it keeps: their disconnected events go out', async () => {
    const a = await open('rec');
    const id = a.s.id;
    a.s.io.reconnection(false);
    const k0 = await kept('rec');
    await cut(a.s);
    await waitKept('rec', k0 + 1, 'the cut before the stop');
    assert.equal(disconnectedOf(id), undefined, 'disconnected before the stop');
    const exit = await srv.kill();
    assert.equal(exit.code, 0, `sio-server exit: ${JSON.stringify(exit)}`);
    await until(() => disconnectedOf(id), 3000, 'the kept socket\'s disconnected webhook after SIGTERM');
    assert.deepEqual(JSON.parse(disconnectedOf(id).body), { reason: 'transport close' });
  });
});
