// sio-server against raw node:http upstreams that record every webhook call:
// exact CloudEvents headers and bodies (signature, connect body, connected
// after the CONNECT reply, disconnected reasons, binary event form), faults
// (upstream down, too slow, 5xx/401 with a JSON message, failed abuse
// protection) and per-socket order under concurrency.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, sleep, ack } from './support/clients.mjs';

async function until(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A recording upstream. behave(rec, res) answers POSTs (default: 200 empty);
 * OPTIONS answers per `validate(rec)` (default: allow *).
 */
async function startUpstream({ behave, validate } = {}) {
  const calls = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        at: process.hrtime.bigint(),
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(rec);
      if (req.method === 'OPTIONS') {
        const v = validate ? validate(rec) : { status: 200, origin: '*' };
        if (v.origin) res.setHeader('WebHook-Allowed-Origin', v.origin);
        res.statusCode = v.status;
        res.end();
        return;
      }
      if (behave) behave(rec, res);
      else res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    port: server.address().port,
    posts: () => calls.filter((c) => c.method === 'POST'),
    async close() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

const ALL = ['connect', 'connected', 'disconnected'];
const FIVE_MB = 'x'.repeat(5 * 1024 * 1024);

function hubWith(url, extra = {}) {
  return {
    anonymousConnectPolicy: 'allow',
    eventHandlers: [{ urlTemplate: url, userEventPattern: '*', systemEvents: ALL, ...extra }],
  };
}

const CE_HEADERS = ['ce-specversion', 'ce-type', 'ce-source', 'ce-id', 'ce-time', 'ce-signature',
  'ce-connectionid', 'ce-hub', 'ce-eventname', 'ce-namespace', 'ce-socketid', 'ce-awpsversion'];

function countHeader(rec, name) {
  let n = 0;
  for (let i = 0; i < rec.rawHeaders.length; i += 2) if (rec.rawHeaders[i].toLowerCase() === name) n++;
  return n;
}

describe('webhook CloudEvents on the wire', { timeout: 60000 }, () => {
  let up;
  let srv;
  let connectAnsweredAt = new Map();

  before(async () => {
    up = await startUpstream({
      behave(rec, res) {
        if (rec.headers['ce-eventname'] === 'connect') {
          // Answer a little later, to see that connected comes after it.
          setTimeout(() => { connectAnsweredAt.set(rec.headers['ce-socketid'], process.hrtime.bigint()); res.end(); }, 50);
          return;
        }
        res.end();
      },
    });
    srv = await startSioServer({
      hubs: { h: hubWith(`http://127.0.0.1:${up.port}/up/{hub}/{event}?code=k`) },
    });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('validates the upstream with OPTIONS before the first event', async () => {
    const m = manager(srv, { transports: ['websocket'] });
    const s = await connectSocket(m, '/', { auth: { token: 'x' } });
    const opt = up.calls.find((c) => c.method === 'OPTIONS');
    assert.ok(opt);
    assert.equal(opt.url, '/up/h/validate?code=k');
    assert.equal(opt.headers['webhook-request-origin'], '127.0.0.1');
    assert.equal(opt.headers['ce-awpsversion'], '1.0');
    assert.ok(up.calls.indexOf(opt) < up.calls.findIndex((c) => c.method === 'POST'));
    s.disconnect();
  });

  it('sends connect with every ce-* header once, a valid signature and the five keys + auth', async () => {
    const m = manager(srv, { transports: ['polling'] });
    const s = await connectSocket(m, '/', { auth: { token: 'x', n: 2 } });
    const sid = m.engine.id;
    const c = up.posts().find((r) => r.headers['ce-connectionid'] === sid && r.headers['ce-eventname'] === 'connect');
    assert.ok(c, 'connect recorded');
    for (const h of CE_HEADERS) assert.equal(countHeader(c, h), 1, `${h} once`);
    assert.equal(countHeader(c, 'ce-userid'), 0, 'anonymous: no ce-userId');
    assert.equal(c.url, '/up/h/connect?code=k');
    assert.equal(c.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(c.headers['ce-specversion'], '1.0');
    assert.equal(c.headers['ce-type'], 'azure.webpubsub.sys.connect');
    assert.equal(c.headers['ce-source'], `/hubs/h/client/${sid}`);
    assert.equal(c.headers['ce-hub'], 'h');
    assert.equal(c.headers['ce-namespace'], '/');
    assert.equal(c.headers['ce-socketid'], s.id);
    assert.equal(c.headers['ce-awpsversion'], '1.0');
    assert.equal(c.headers['webhook-request-origin'], '127.0.0.1');
    assert.match(c.headers['ce-time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const expected = 'sha256=' + crypto.createHmac('sha256', srv.key).update(sid).digest('hex');
    assert.equal(c.headers['ce-signature'], expected);
    const body = JSON.parse(c.body);
    assert.deepEqual(Object.keys(body), ['claims', 'query', 'headers', 'subprotocols', 'clientCertificates', 'auth']);
    assert.deepEqual(body.auth, { token: 'x', n: 2 });
    assert.deepEqual(body.query.EIO, ['4']);
    assert.deepEqual(body.query.transport, ['polling']);
    for (const k of ['claims', 'query', 'headers'])
      for (const v of Object.values(body[k])) assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${k} values`);
    assert.deepEqual(body.subprotocols, []);
    assert.deepEqual(body.clientCertificates, []);
    // connected: after the connect answer left the upstream, body {}.
    await until(() => up.posts().some((r) => r.headers['ce-socketid'] === s.id && r.headers['ce-eventname'] === 'connected'), 'connected');
    const cd = up.posts().find((r) => r.headers['ce-socketid'] === s.id && r.headers['ce-eventname'] === 'connected');
    assert.equal(cd.headers['ce-type'], 'azure.webpubsub.sys.connected');
    assert.equal(cd.body, '{}');
    assert.ok(cd.at > connectAnsweredAt.get(s.id), 'connected after the connect answer');
    // ce-id is unique.
    assert.notEqual(cd.headers['ce-id'], c.headers['ce-id']);
    s.disconnect();
  });

  it('sends a binary event in the payload form as text/plain', async () => {
    const m = manager(srv, { transports: ['websocket'] });
    const s = await connectSocket(m, '/');
    s.emit('bin', Buffer.from([1, 2, 3]), 'x');
    await until(() => up.posts().some((r) => r.headers['ce-socketid'] === s.id && r.headers['ce-eventname'] === 'bin'), 'bin event');
    const b = up.posts().find((r) => r.headers['ce-socketid'] === s.id && r.headers['ce-eventname'] === 'bin');
    assert.equal(b.headers['content-type'], 'text/plain');
    assert.equal(b.headers['ce-type'], 'azure.webpubsub.user.message');
    assert.equal(b.url, '/up/h/bin?code=k');
    assert.equal(b.body, '451-["bin",{"_placeholder":true,"num":0},"x"]\x1ebAQID');
    s.disconnect();
  });

  it('sends disconnected with "" for a client disconnect and the reason otherwise', async () => {
    const m1 = manager(srv, { transports: ['websocket'] });
    const s1 = await connectSocket(m1, '/');
    const id1 = s1.id;
    s1.disconnect();
    const m2 = manager(srv, { transports: ['websocket'] });
    const s2 = await connectSocket(m2, '/');
    const id2 = s2.id;
    m2.engine.close();
    const find = (id) => up.posts().find((r) => r.headers['ce-socketid'] === id && r.headers['ce-eventname'] === 'disconnected');
    await until(() => find(id1) && find(id2), 'both disconnected events');
    assert.equal(find(id1).headers['ce-type'], 'azure.webpubsub.sys.disconnected');
    assert.deepEqual(JSON.parse(find(id1).body), { reason: '' });
    assert.deepEqual(JSON.parse(find(id2).body), { reason: 'transport close' });
    // Per socket: connect, connected, then disconnected, each once.
    const seq = up.posts().filter((r) => r.headers['ce-socketid'] === id1).map((r) => r.headers['ce-eventname']);
    assert.deepEqual(seq, ['connect', 'connected', 'disconnected']);
  });

  it('keeps each socket\'s order with 100 emits while other sockets emit concurrently', async () => {
    const sockets = [];
    for (let i = 0; i < 4; i++) {
      const m = manager(srv, { transports: ['websocket'], forceNew: true });
      sockets.push(await connectSocket(m, '/'));
    }
    for (let n = 0; n < 100; n++) for (const s of sockets) s.emit('seq', n);
    const ids = sockets.map((s) => s.id);
    const seqOf = (id) => up.posts()
      .filter((r) => r.headers['ce-socketid'] === id && r.headers['ce-eventname'] === 'seq')
      .map((r) => JSON.parse(r.body.slice(2))[1]);
    await until(() => ids.every((id) => seqOf(id).length === 100), '4 x 100 events', 15000);
    const expected = Array.from({ length: 100 }, (_, i) => i);
    for (const id of ids) assert.deepEqual(seqOf(id), expected);
    for (const s of sockets) s.disconnect();
  });
});

describe('webhook ordering with a jittery upstream', { timeout: 60000 }, () => {
  let up;
  let srv;
  before(async () => {
    // Random delays and many parallel upstream connections: order must come
    // from the per-socket queue, not from luck.
    up = await startUpstream({ behave: (rec, res) => setTimeout(() => res.end(), Math.floor(Math.random() * 6)) });
    srv = await startSioServer({
      hubs: { h: hubWith(`http://127.0.0.1:${up.port}/{event}`) },
      config: { webhook: { maxConnectionsPerUpstream: 16 } },
    });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('delivers 100 emits of one socket in order among 3 busy sockets', async () => {
    const main = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await connectSocket(manager(srv, { transports: ['polling'], forceNew: true }), '/'));
    for (let n = 0; n < 100; n++) {
      main.emit('m', n);
      for (const o of others) o.emit('o', n);
    }
    const seqOf = (id, ev) => up.posts()
      .filter((r) => r.headers['ce-socketid'] === id && r.headers['ce-eventname'] === ev)
      .map((r) => JSON.parse(r.body.slice(2))[1]);
    await until(() => seqOf(main.id, 'm').length === 100 && others.every((o) => seqOf(o.id, 'o').length === 100),
      'all events', 20000);
    const expected = Array.from({ length: 100 }, (_, i) => i);
    assert.deepEqual(seqOf(main.id, 'm'), expected);
    for (const o of others) assert.deepEqual(seqOf(o.id, 'o'), expected);
  });
});

describe('webhook connect answers with userId and groups', { timeout: 60000 }, () => {
  let up;
  let srv;
  before(async () => {
    // A Web PubSub-style answer (what @azure/web-pubsub-express's
    // res.success({ userId, groups }) sends): the lobby room of '/'.
    up = await startUpstream({
      behave(rec, res) {
        if (rec.headers['ce-eventname'] === 'connect') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ userId: 'ann', groups: ['0~Lw~bG9iYnk', 'not a group name~'] }));
          return;
        }
        res.end();
      },
    });
    srv = await startSioServer({ hubs: { h: hubWith(`http://127.0.0.1:${up.port}/{event}`) } });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('sets the connection user and joins its groups', async () => {
    const s = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    const sid = s.id;
    const svc = new WebPubSubServiceClient(srv.connectionString, 'h', { allowInsecureConnection: true });
    const got = [];
    s.on('to', (v) => got.push(v));
    await svc.sendToUser('ann', '42["to","user"]', { contentType: 'text/plain' });
    await svc.group('0~Lw~bG9iYnk').sendToAll('42["to","lobby"]', { contentType: 'text/plain' });
    await until(() => got.length === 2, 'both sends');
    assert.deepEqual(got, ['user', 'lobby']);
    s.emit('after', 1);
    await until(() => up.posts().some((r) => r.headers['ce-eventname'] === 'after'), 'event');
    const ev = up.posts().find((r) => r.headers['ce-eventname'] === 'after');
    assert.equal(ev.headers['ce-userid'], 'ann');
    assert.equal(ev.headers['ce-socketid'], sid);
  });
});

describe('webhook faults reach the client as connect_error', { timeout: 60000 }, () => {
  let up;
  let srv;
  let downPort;
  let backPort;
  let back;

  before(async () => {
    up = await startUpstream({
      validate(rec) {
        if (rec.url.startsWith('/abuse/')) return { status: 200, origin: 'someone-else.example' };
        return { status: 200, origin: '*' };
      },
      behave(rec, res) {
        const hub = rec.url.split('/')[1];
        if (hub === 'slow') { setTimeout(() => res.end(), 1500); return; }
        if (hub === 'err') {
          const nsp = rec.headers['ce-namespace'];
          if (nsp === '/chat') { res.statusCode = 401; res.end('{"message":"Invalid namespace"}'); return; }
          res.statusCode = 500;
          res.setHeader('Content-Type', 'application/json');
          res.end('{"message":"database down","code":17}');
          return;
        }
        if (hub === 'text') { res.statusCode = 403; res.end('  go away  '); return; }
        if (hub === 'huge' && rec.headers['ce-eventname'] === 'connect') { res.end(FIVE_MB); return; }
        if (hub === 'hugemsg' && rec.headers['ce-eventname'] === 'big') { res.end(FIVE_MB); return; }
        if (hub === 'reset') {
          // Headers and half a body, then a TCP reset.
          res.writeHead(200, { 'Content-Length': '100' });
          res.write('43["half');
          setTimeout(() => res.socket.destroy(), 20);
          return;
        }
        if (hub === 'hugemsg' || hub === 'fine') {
          const ackId = /^42(\d+)\[/.exec(rec.body)?.[1];
          res.end(ackId ? `43${ackId}["ok"]` : undefined);
          return;
        }
        res.end();
      },
    });
    // A port with nothing listening.
    const probe = net.createServer();
    await new Promise((r) => probe.listen(0, '127.0.0.1', r));
    downPort = probe.address().port;
    await new Promise((r) => probe.close(r));
    // The "comes back" upstream: down at first, started later on this port.
    const probe2 = net.createServer();
    await new Promise((r) => probe2.listen(0, '127.0.0.1', r));
    backPort = probe2.address().port;
    await new Promise((r) => probe2.close(r));
    const base = `http://127.0.0.1:${up.port}`;
    srv = await startSioServer({
      hubs: {
        down: hubWith(`http://127.0.0.1:${downPort}/{hub}/{event}`),
        slow: hubWith(`${base}/{hub}/{event}`),
        err: hubWith(`${base}/{hub}/{event}`),
        text: hubWith(`${base}/{hub}/{event}`),
        abuse: hubWith(`${base}/{hub}/{event}`),
        huge: hubWith(`${base}/{hub}/{event}`),
        hugemsg: hubWith(`${base}/{hub}/{event}`),
        reset: hubWith(`${base}/{hub}/{event}`),
        fine: hubWith(`${base}/{hub}/{event}`),
        back: hubWith(`http://127.0.0.1:${backPort}/{hub}/{event}`),
      },
      config: { webhook: { responseTimeout: 400, connectTimeout: 1000 } },
    });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
    back?.closeAllConnections?.();
    await new Promise((r) => (back ? back.close(r) : r()));
  });

  async function connectError(hub, nsp = '/') {
    const m = manager(srv, { hub, transports: ['websocket'] });
    const s = m.socket(nsp);
    const [err] = await once(s, 'connect_error', 5000);
    return err.message;
  }

  it('says the upstream is unreachable when it is down', async () => {
    assert.match(await connectError('down'), /upstream unreachable: .*127\.0\.0\.1:\d+.*refused/i);
  });

  it('says upstream timeout when the answer is too slow', async () => {
    const t0 = Date.now();
    assert.equal(await connectError('slow'), 'upstream timeout');
    assert.ok(Date.now() - t0 < 1400, 'rejected at the response timeout');
  });

  it('passes the JSON message of a 5xx or 401 answer', async () => {
    assert.equal(await connectError('err'), 'database down');
    assert.equal(await connectError('err', '/chat'), 'Invalid namespace');
  });

  it('passes a trimmed text body', async () => {
    assert.equal(await connectError('text'), 'go away');
  });

  it('rejects a connect whose answer is a 5 MB body', async () => {
    assert.match(await connectError('huge'), /^upstream error: upstream response larger than 1048576 bytes$/);
    await assertFine();
  });

  it('sends no ack for an event whose answer is a 5 MB body, and keeps the socket', async () => {
    const s = await connectSocket(manager(srv, { hub: 'hugemsg', transports: ['websocket'] }), '/');
    await assert.rejects(s.timeout(1500).emitWithAck('big', 1), /timed out/);
    assert.ok(s.connected);
    assert.deepEqual(await s.timeout(3000).emitWithAck('small', 2), 'ok');
    await srv.waitForLog(/webhook event hub=hugemsg .*event=big: upstream error: upstream response larger/);
  });

  it('rejects a connect whose upstream resets mid-response', async () => {
    assert.match(await connectError('reset'), /^upstream error: upstream closed the connection mid-response/);
    await assertFine();
  });

  it('serves other hubs at once while one upstream is too slow', async () => {
    const slow = connectError('slow');
    const t0 = Date.now();
    await assertFine();
    assert.ok(Date.now() - t0 < 400, `another hub answered in ${Date.now() - t0} ms`);
    assert.equal(await slow, 'upstream timeout');
  });

  it('uses an upstream that comes back after being down', async () => {
    assert.match(await connectError('back'), /upstream unreachable/);
    back = http.createServer((req, res) => {
      if (req.method === 'OPTIONS') res.setHeader('WebHook-Allowed-Origin', '*');
      res.end();
    });
    await new Promise((r) => back.listen(backPort, '127.0.0.1', r));
    const s = await connectSocket(manager(srv, { hub: 'back', transports: ['websocket'] }), '/');
    assert.ok(s.connected);
  });

  /** A hub whose upstream is healthy connects and acks. */
  async function assertFine() {
    const s = await connectSocket(manager(srv, { hub: 'fine', transports: ['websocket'], forceNew: true }), '/');
    assert.deepEqual(await s.timeout(3000).emitWithAck('ping', 1), 'ok');
    s.disconnect();
  }

  it('gives a failing abuse-protection upstream no events', async () => {
    const msg = await connectError('abuse');
    assert.match(msg, /abuse protection/);
    assert.match(msg, /does not allow 127\.0\.0\.1/);
    await srv.waitForLog(/gets no events .*abuse protection/);
    assert.ok(up.calls.some((c) => c.method === 'OPTIONS' && c.url === '/abuse/validate'));
    assert.equal(up.posts().filter((c) => c.url.startsWith('/abuse/')).length, 0);
  });
});

describe('webhook per-socket backlog bound', { timeout: 60000 }, () => {
  let up;
  let srv;
  before(async () => {
    up = await startUpstream({ behave: (rec, res) => setTimeout(() => res.end(), rec.headers['ce-eventname'] === 'q' ? 300 : 0) });
    srv = await startSioServer({
      hubs: { h: hubWith(`http://127.0.0.1:${up.port}/{event}`) },
      config: { webhook: { maxQueuedPerSocket: 2 } },
    });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('closes a connection whose events outrun the upstream, delivers what it queued, and tells the upstream why', async () => {
    const m = manager(srv, { transports: ['websocket'], reconnection: false });
    const s = await connectSocket(m, '/');
    const sid = s.id; // socket.io-client forgets it on disconnect
    const calm = await connectSocket(manager(srv, { transports: ['websocket'], forceNew: true }), '/');
    // Let connected go out first, so the queue holds only our events.
    await until(() => up.posts().some((r) => r.headers['ce-socketid'] === sid && r.headers['ce-eventname'] === 'connected'), 'connected');
    const gone = once(s, 'disconnect', 5000);
    for (let n = 0; n < 10; n++) s.emit('q', n);
    const [reason] = await gone;
    assert.equal(reason, 'transport close');
    await srv.waitForLog(/closed by its event handler: webhook backlog full/, 5000);
    const got = () => up.posts().filter((r) => r.headers['ce-socketid'] === sid && r.headers['ce-eventname'] === 'q')
      .map((r) => JSON.parse(r.body.slice(2))[1]);
    // One in flight plus two queued reach the upstream, in order, then the
    // disconnected event with the reason.
    const disc = () => up.posts().find((r) => r.headers['ce-socketid'] === sid && r.headers['ce-eventname'] === 'disconnected');
    await until(() => disc(), 'disconnected', 5000);
    assert.deepEqual(got(), [0, 1, 2]);
    assert.deepEqual(JSON.parse(disc().body), { reason: 'webhook backlog full' });
    const posts = up.posts();
    assert.ok(posts.indexOf(disc()) > posts.findLastIndex((r) => r.headers['ce-socketid'] === sid && r.headers['ce-eventname'] === 'q'));
    // Another socket of the same hub was not affected.
    calm.emit('calm', 1);
    await until(() => up.posts().some((r) => r.headers['ce-socketid'] === calm.id && r.headers['ce-eventname'] === 'calm'), 'calm event');
    assert.ok(calm.connected);
    const metrics = await (await fetch(`${srv.origin}/metrics`)).text();
    assert.match(metrics, /sio_webhook_failures_total\{hub="h",reason="backlog_full"\} [1-9]/);
    assert.match(metrics, /sio_webhook_duration_seconds_count\{hub="h",event="message"\} [1-9]/);
  });
});

describe('webhook order under load', { timeout: 120000 }, () => {
  let up;
  let srv;
  before(async () => {
    // A little jitter, so that order comes from the dispatcher, not luck.
    // Events with an ack id get their ack back (`42<id>[..]` -> `43<id>[..]`).
    up = await startUpstream({
      behave(rec, res) {
        const ackId = /^42(\d+)\[/.exec(rec.body)?.[1];
        const answer = () => res.end(ackId ? `43${ackId}["ok"]` : undefined);
        if (Math.random() < 0.1) setTimeout(answer, 2); else answer();
      },
    });
    srv = await startSioServer({ hubs: { h: hubWith(`http://127.0.0.1:${up.port}/{event}`) } });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
    await up?.close();
  });

  it('delivers 1000 emits of one socket in order while another socket interleaves', async () => {
    const one = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    const two = await connectSocket(manager(srv, { transports: ['polling'], forceNew: true }), '/');
    for (let n = 0; n < 1000; n++) {
      if (n % 4 === 0) two.emit('other', n);
      // Every 100th waits for its ack, to stay under the per-socket backlog
      // bound (256): this tests order, not back-pressure.
      if (n % 100 === 99) assert.deepEqual(await ack(one, 'seq', n), ['ok']);
      else one.emit('seq', n);
    }
    const seqOf = (id, ev) => up.posts()
      .filter((r) => r.headers['ce-socketid'] === id && r.headers['ce-eventname'] === ev)
      .map((r) => JSON.parse(r.body.replace(/^42\d*/, ''))[1]);
    await until(() => seqOf(one.id, 'seq').length >= 1000 && seqOf(two.id, 'other').length >= 250, 'all events', 60000);
    assert.deepEqual(seqOf(one.id, 'seq'), Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(seqOf(two.id, 'other'), Array.from({ length: 250 }, (_, i) => i * 4));
    // The two sockets really did interleave upstream.
    const order = up.posts().filter((r) => ['seq', 'other'].includes(r.headers['ce-eventname'])).map((r) => r.headers['ce-eventname']);
    const firstOther = order.indexOf('other');
    assert.ok(firstOther >= 0 && firstOther < order.lastIndexOf('seq'), 'events of the two sockets interleaved');
    assert.ok(one.connected && two.connected);
  });
});

describe('webhook drain on SIGTERM', { timeout: 60000 }, () => {
  it('sends every socket\'s disconnected before exiting 0', async () => {
    // Disconnected answers are slow: the service must wait for them.
    const up = await startUpstream({
      behave: (rec, res) => setTimeout(() => res.end(), ['disconnected', 'late'].includes(rec.headers['ce-eventname']) ? 200 : 0),
    });
    const srv = await startSioServer({ hubs: { h: hubWith(`http://127.0.0.1:${up.port}/{event}`) } });
    try {
      const sockets = [];
      for (let i = 0; i < 30; i++) {
        const transports = i % 3 === 0 ? ['polling'] : ['websocket'];
        const m = manager(srv, { transports, forceNew: true, reconnection: false });
        sockets.push(await connectSocket(m, '/'));
      }
      const socketIds = sockets.map((s) => s.id);
      // Events still queued for the upstream when the signal arrives: the
      // first of each is being answered (slowly), two more wait behind it.
      for (const s of sockets.slice(0, 5)) for (let n = 0; n < 3; n++) s.emit('late', n);
      const late = () => up.posts().filter((r) => r.headers['ce-eventname'] === 'late');
      await until(() => late().length >= 5, 'the first late events');
      await sleep(100);
      const closed = sockets.map((s) => once(s, 'disconnect', 10000));
      const t0 = Date.now();
      const exit = await srv.kill();
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(Date.now() - t0 < 10000, 'exited within the bound');
      await Promise.all(closed);
      const ids = new Set(up.posts().filter((r) => r.headers['ce-eventname'] === 'disconnected').map((r) => r.headers['ce-socketid']));
      for (const id of socketIds) assert.ok(ids.has(id), `disconnected of ${id}`);
      assert.equal(late().length, 15);
    } finally {
      closeAll();
      await srv.kill();
      await up.close();
    }
  });
});
