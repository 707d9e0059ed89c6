// The REST extensions (not in Azure): sends that wait for acks
// (`:send?ackTimeout=ms`), where real socket.io-client sockets (WebSocket
// and polling) and python3-socketio answer, answer late, never answer or go
// while awaited, with the bounds, hostile values and metrics; and socket
// listings (`GET /api/hubs/{hub}/sockets`) with filters and pages.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, sleep, request, json } from './support/clients.mjs';
import { signJwt, clientClaims, assertJsonError } from './support/hostile.mjs';
import { nsGroup, roomGroup } from './support/records.mjs';
import { startPythonListener } from './support/python_listener.mjs';

const HUB = 'h';
let srv;

/** One signed REST call on its own connection; resolves { status, body, ms }. */
async function rest(method, route, query, body, timeoutMs = 20000) {
  const p = `/api/hubs/${HUB}/${route}?api-version=2024-01-01${query ? `&${query}` : ''}`;
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt({ aud: srv.origin + p, iat: now, exp: now + 300 }, srv.key);
  const start = Date.now();
  const res = await request({
    port: srv.port, method, path: p, body, timeoutMs,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
  });
  return { ...res, ms: Date.now() - start };
}

/** An acked send; the parsed 200 body and how long the call took. */
async function ackedSend(route, timeout, packet, extraQuery = '') {
  const res = await rest('POST', route, `ackTimeout=${timeout}${extraQuery ? `&${extraQuery}` : ''}`, packet);
  assert.equal(res.status, 200, res.body);
  return { ...json(res), ms: res.ms };
}

/** A counter of this hub from /metrics. */
async function metric(name) {
  const res = await request({ port: srv.port, path: '/metrics' });
  const m = new RegExp(`^${name}\\{hub="${HUB}"\\} (\\d+)`, 'm').exec(res.body);
  assert.ok(m, `${name} not in /metrics`);
  return Number(m[1]);
}

const byId = (list) => Object.fromEntries(list.map((e) => [e.socketId, e]));

function socketOf(transports, opts = {}) {
  return connectSocket(manager(srv, { hub: HUB, transports, forceNew: true, ...opts }), '/');
}

// One server for both suites.
before(async () => {
  srv = await startSioServer({
    hubs: { [HUB]: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' } },
  });
});
after(async () => {
  closeAll();
  await srv?.kill();
});

describe('sends that wait for acks', () => {

  it('collects the answers of sockets that answer, answer late, never answer and go', async () => {
    const quick = await socketOf(['websocket']);
    const polling = await socketOf(['polling']);
    const late = await socketOf(['websocket']);
    const silent = await socketOf(['websocket']);
    const leaving = await socketOf(['websocket']);
    const room = roomGroup('/', 'ask');
    for (const s of [quick, polling, late, silent, leaving])
      assert.equal((await rest('PUT', `groups/${room}/connections/${s.io.engine.id}`)).status, 200);
    quick.on('question', (q, cb) => cb({ answer: q.n + 1 }, 'ws'));
    polling.on('question', (q, cb) => cb('polling', [q.n]));
    late.on('question', (q, cb) => setTimeout(() => cb('too late'), 1500));
    silent.on('question', () => {});
    leaving.on('question', () => leaving.disconnect());
    const leavingId = leaving.id; // the client forgets it on disconnect
    const r = await ackedSend(`groups/${room}/:send`, 800, '42["question",{"n":41}]');
    assert.deepEqual(Object.keys(r).sort(), ['acks', 'ms', 'timedOut']);
    const acks = byId(r.acks);
    assert.deepEqual(Object.keys(acks).sort(), [quick.id, polling.id].sort());
    assert.deepEqual(acks[quick.id], {
      socketId: quick.id, connectionId: quick.io.engine.id, userId: null, args: [{ answer: 42 }, 'ws'],
    });
    assert.deepEqual(acks[polling.id].args, ['polling', [41]]);
    const out = byId(r.timedOut);
    assert.deepEqual(Object.keys(out).sort(), [late.id, silent.id, leavingId].sort());
    assert.deepEqual(out[silent.id], { socketId: silent.id, connectionId: silent.io.engine.id });
    assert.equal(out[late.id].reason, undefined);
    assert.equal(out[leavingId].reason, 'client namespace disconnect');
    assert.ok(r.ms >= 750 && r.ms < 5000, `answered after ${r.ms} ms`);
  });

  it('answers as soon as every recipient answered, and at once when a recipient goes', async () => {
    const a = await socketOf(['websocket']);
    const b = await socketOf(['polling']);
    a.on('ping?', (cb) => cb('a'));
    b.on('ping?', (cb) => cb('b'));
    const pair = roomGroup('/', 'pair');
    const empty = await ackedSend(`groups/${pair}/:send`, 10000, '42["ping?"]');
    assert.deepEqual([empty.acks, empty.timedOut], [[], []], 'nobody in the room yet');
    assert.ok(empty.ms < 2000, `no recipients, answered after ${empty.ms} ms`);
    await rest('PUT', `groups/${pair}/connections/${a.io.engine.id}`);
    await rest('PUT', `groups/${pair}/connections/${b.io.engine.id}`);
    const r = await ackedSend(`groups/${pair}/:send`, 10000, '42["ping?"]');
    assert.deepEqual(r.acks.map((x) => x.args[0]).sort(), ['a', 'b']);
    assert.deepEqual(r.timedOut, []);
    assert.ok(r.ms < 3000, `answered after ${r.ms} ms, not at the first answers`);

    // A socket whose connection closes while awaited: out at once, with its reason.
    const gone = await socketOf(['websocket']);
    gone.on('ping?', () => gone.io.engine.close());
    const [goneId, goneCid] = [gone.id, gone.io.engine.id];
    const g = await ackedSend(`connections/${goneCid}/:send`, 10000, '42["ping?"]');
    assert.deepEqual(g.acks, []);
    assert.deepEqual(g.timedOut, [{ socketId: goneId, connectionId: goneCid, reason: 'transport close' }]);
    assert.ok(g.ms < 3000, `answered after ${g.ms} ms`);
  });

  it('reaches a user, the whole hub with excluded, a namespace, and binary both ways', async () => {
    closeAll(); // the earlier sockets would not answer "who"
    await sleep(200);
    const u1 = await connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true,
      query: { access_token: signJwt(clientClaims(srv, HUB, { sub: 'alice' }), srv.key) } }), '/');
    const other = await socketOf(['websocket']);
    const chat = await connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true }), '/chat');
    u1.on('who', (cb) => cb('alice here'));
    other.on('who', (cb) => cb('other'));
    chat.on('who', (cb) => cb('chat'));
    const user = await ackedSend('users/alice/:send', 5000, '42["who"]');
    assert.deepEqual(user.acks.map((a) => [a.userId, a.args]), [['alice', ['alice here']]]);
    // Every socket of "/" but `other`; /chat's socket is not a recipient.
    const all = await ackedSend(':send', 5000, '42["who"]', `excluded=${other.io.engine.id}`);
    assert.ok(all.acks.every((a) => a.socketId !== other.id && a.socketId !== chat.id));
    assert.ok(all.acks.some((a) => a.socketId === u1.id));
    const ns = await ackedSend(`groups/${nsGroup('/chat')}/:send`, 5000, '42/chat,["who"]');
    assert.deepEqual(ns.acks.map((a) => [a.socketId, a.args]), [[chat.id, ['chat']]]);

    // A BINARY_EVENT goes out with its attachment; a binary ack comes back base64.
    other.on('blob', (buf, cb) => cb(Buffer.concat([Buffer.from(buf), Buffer.from([0xff])])));
    const payload = Buffer.from([1, 2, 3]);
    const body = `451-["blob",{"_placeholder":true,"num":0}]\x1eb${payload.toString('base64')}`;
    const bin = await ackedSend(`connections/${other.io.engine.id}/:send`, 5000, body);
    assert.equal(bin.acks.length, 1);
    assert.deepEqual(bin.acks[0].args, [{ _placeholder: true, num: 0 }]);
    assert.deepEqual(bin.acks[0].attachments, [Buffer.from([1, 2, 3, 0xff]).toString('base64')]);
  });

  it('python3-socketio answers an acked send', async () => {
    const py = await startPythonListener(srv.origin, srv.path(HUB), 1);
    try {
      const r = await ackedSend(`connections/${py.connectionId}/:send`, 5000, '42["news",7]');
      const { code, output } = await py.done;
      assert.equal(code, 0, `python client: ${output}`);
      assert.equal(r.acks.length, 1, JSON.stringify(r));
      assert.deepEqual(r.acks[0].args, ['python', 1]);
      assert.equal(r.acks[0].connectionId, py.connectionId);
    } finally {
      py.stop();
    }
  });

  it('waits for a group of 1,000 sockets', async () => {
    // Their own namespace: the group holds exactly these sockets.
    const sockets = [];
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () =>
        connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true }), '/thousand')));
      sockets.push(...batch);
    }
    for (const [i, s] of sockets.entries()) s.on('count', (cb) => cb(i));
    const r = await ackedSend(`groups/${nsGroup('/thousand')}/:send`, 20000, '42/thousand,["count"]');
    assert.equal(r.timedOut.length, 0);
    assert.equal(r.acks.length, 1000);
    const ids = new Set(sockets.map((s) => s.id));
    assert.ok(r.acks.every((a) => ids.has(a.socketId)));
    assert.deepEqual(r.acks.map((a) => a.args[0]).sort((x, y) => x - y), [...Array(1000).keys()]);
    for (const s of sockets) s.io.engine.close();
  });

  it('answers many acked sends in a row to one socket (the bound frees up as they are answered)', async () => {
    const s = await socketOf(['websocket']);
    s.on('n', (i, cb) => cb(i * 2));
    for (let i = 0; i < 80; ++i) {
      const r = await ackedSend(`connections/${s.io.engine.id}/:send`, 5000, `42["n",${i}]`);
      assert.deepEqual(r.acks.map((a) => a.args), [[i * 2]]);
    }
    s.disconnect();
  });

  it('bounds what one connection awaits (429), and settles it all when the socket goes', async () => {
    const s = await socketOf(['websocket']);
    s.on('hold', () => {}); // never answers
    const before = await metric('sio_acked_sends_total');
    const calls = Array.from({ length: 64 }, () =>
      ackedSend(`connections/${s.io.engine.id}/:send`, 30000, '42["hold"]'));
    // Every one of the 64 is awaited before the 65th comes.
    let started = 0;
    for (let i = 0; i < 100 && started < before + 64; ++i) {
      await sleep(50);
      started = await metric('sio_acked_sends_total');
    }
    assert.equal(started, before + 64);
    const refused = await rest('POST', `connections/${s.io.engine.id}/:send`, 'ackTimeout=30000', '42["hold"]');
    assertJsonError(refused, 429, 'TooManyRequests');
    assert.match(json(refused).message, /awaits 64 acks/);
    s.disconnect();
    const done = await Promise.all(calls);
    for (const d of done) {
      assert.deepEqual(d.acks, []);
      assert.equal(d.timedOut[0].reason, 'client namespace disconnect');
      assert.ok(d.ms < 20000);
    }
  });

  it('refuses bad timeouts and bodies with a JSON 400, and answers no recipients at once', async () => {
    const s = await socketOf(['websocket']);
    const to = `connections/${s.io.engine.id}/:send`;
    for (const v of ['0', '-1', '60001', 'abc', '1e3', '', '5000ms', '99999999999999999999', '1.5']) {
      const res = await rest('POST', to, `ackTimeout=${encodeURIComponent(v)}`, '42["x"]');
      assertJsonError(res, 400, 'InvalidArgument');
    }
    for (const body of ['421["x"]', '42["x"]\x1e42["y"]', '41', '40', '43[1]', 'not a payload', '451-["x",{"_placeholder":true,"num":0}]']) {
      const res = await rest('POST', to, 'ackTimeout=1000', body);
      assertJsonError(res, 400, 'InvalidPayload');
    }
    const bad = await rest('POST', ':send', 'ackTimeout=1000&filter=' + encodeURIComponent('nonsense eq'), '42["x"]');
    assertJsonError(bad, 400, 'InvalidFilter');
    const none = await ackedSend('connections/nosuchconnection/:send', 60000, '42["x"]');
    assert.deepEqual([none.acks, none.timedOut], [[], []]);
    assert.ok(none.ms < 2000);
    // A forged ack (an id this socket was never given) changes nothing.
    s.on('q', (cb) => { s.io.engine.write('3999999["forged"]'); cb('real'); });
    const r = await ackedSend(to, 5000, '42["q"]');
    assert.deepEqual(r.acks.map((a) => a.args), [['real']]);
  });

  it('counts acked sends, acks and timeouts in /metrics', async () => {
    assert.ok(await metric('sio_acked_sends_total') >= 150);
    assert.ok(await metric('sio_acks_received_total') >= 1088);
    assert.ok(await metric('sio_ack_timeouts_total') >= 67);
  });
});

describe('socket listings', () => {
  const list = async (query) => {
    const res = await rest('GET', 'sockets', query);
    assert.equal(res.status, 200, res.body);
    return json(res);
  };

  before(async () => {
    closeAll();
    await sleep(200);
  });

  it('lists sockets with their user, namespace, rooms, transport, address and start', async () => {
    const started = Date.now();
    const a = await connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true,
      query: { access_token: signJwt(clientClaims(srv, HUB, { sub: 'alice' }), srv.key) } }), '/');
    const b = await socketOf(['polling']);
    const c = await connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true }), '/chat');
    for (const room of ['red', 'blue'])
      assert.equal((await rest('PUT', `groups/${roomGroup('/', room)}/connections/${a.io.engine.id}`)).status, 200);

    const red = await list(`group=${encodeURIComponent(roomGroup('/', 'red'))}`);
    assert.equal(red.value.length, 1, JSON.stringify(red));
    const s = red.value[0];
    assert.deepEqual({ ...s, connectedAt: undefined }, {
      socketId: a.id, connectionId: a.io.engine.id, userId: 'alice', namespace: '/',
      rooms: [a.id, 'blue', 'red'], transport: 'websocket', remoteAddress: '127.0.0.1', connectedAt: undefined,
    });
    const at = Date.parse(s.connectedAt);
    assert.match(s.connectedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(at >= started - 1000 && at <= Date.now() + 1000, s.connectedAt);
    assert.equal(red.nextLink, undefined);

    const all = await list('');
    assert.deepEqual(all.value.map((x) => x.socketId).sort(), [a.id, b.id, c.id].sort());
    assert.equal(all.value.find((x) => x.socketId === b.id).transport, 'polling');
    const chat = await list('namespace=%2Fchat');
    assert.deepEqual(chat.value.map((x) => [x.socketId, x.namespace, x.rooms]), [[c.id, '/chat', [c.id]]]);
    const alice = await list(`filter=${encodeURIComponent("userId eq 'alice'")}`);
    assert.deepEqual(alice.value.map((x) => x.socketId), [a.id]);
    const none = await list(`namespace=%2F&group=${encodeURIComponent(roomGroup('/', 'nobody'))}`);
    assert.deepEqual(none, { value: [] });
  });

  it('pages through continuation links, each socket once, in socket id order', async () => {
    const sockets = await Promise.all(Array.from({ length: 5 }, () =>
      connectSocket(manager(srv, { hub: HUB, transports: ['websocket'], forceNew: true }), '/page')));
    const seen = [];
    let page = await list('namespace=%2Fpage&maxpagesize=2');
    const sizes = [];
    for (let i = 0; i < 5; ++i) {
      sizes.push(page.value.length);
      seen.push(...page.value.map((x) => x.socketId));
      if (!page.nextLink) break;
      const url = new URL(page.nextLink, srv.origin);
      assert.equal(url.pathname, `/api/hubs/${HUB}/sockets`);
      const res = await rest('GET', 'sockets', url.search.slice(1).replace(/^api-version=[^&]*&?/, ''));
      assert.equal(res.status, 200, res.body);
      page = json(res);
    }
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.deepEqual(seen, sockets.map((s) => s.id).sort());
  });

  it('refuses bad values with a JSON 400', async () => {
    for (const [q, code] of [
      ['maxpagesize=0', 'InvalidArgument'], ['maxpagesize=201', 'InvalidArgument'],
      ['maxpagesize=abc', 'InvalidArgument'], ['continuationToken=%21%21', 'InvalidArgument'],
      ['continuationToken=', 'InvalidArgument'], ['namespace=chat', 'InvalidArgument'],
      ['group=%20', 'InvalidGroup'], [`filter=${encodeURIComponent('userId eq')}`, 'InvalidFilter'],
    ]) {
      const res = await rest('GET', 'sockets', q);
      assertJsonError(res, 400, code);
    }
  });
});
