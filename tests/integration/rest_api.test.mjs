// The REST data plane and client authentication, driven by Microsoft's own
// REST client (@azure/web-pubsub WebPubSubServiceClient, built from the
// connection string the service prints) and real socket.io-client sockets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startSioServer, superviseProcess } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, sleep, request, json, ack } from './support/clients.mjs';

const b64u = (s) => Buffer.from(s).toString('base64url');
const nsGroup = (ns) => `0~${b64u(ns)}~`;
const roomGroup = (ns, room) => `0~${b64u(ns)}~${b64u(room)}`;

/** Collects every event a socket receives, in order. */
function recorder(socket) {
  const got = [];
  socket.onAny((...args) => got.push(args));
  return got;
}

async function until(pred, timeoutMs = 2000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return;
    await sleep(20);
  }
  assert.fail(`condition not met within ${timeoutMs} ms`);
}

function hs256(payload, key) {
  const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64u(JSON.stringify(payload));
  const sig = crypto.createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

describe('REST data plane with @azure/web-pubsub', () => {
  let srv;
  let svc;

  before(async (t) => {
    srv = await startSioServer({
      hubs: {
        chat: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' },
        secure: { anonymousConnectPolicy: 'deny', inProcessHandler: 'echo' },
      },
    });
    svc = new WebPubSubServiceClient(srv.connectionString, 'chat', { allowInsecureConnection: true });
  });
  after(async () => {
    closeAll();
    await srv?.kill();
  });

  it('sends to a namespace, a room, a socket and everyone, in order', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const a = await connectSocket(m, '/');
    const b = await connectSocket(manager(srv, { hub: 'chat', transports: ['polling'] }), '/');
    const ga = recorder(a);
    const gb = recorder(b);
    await svc.group(nsGroup('/')).sendToAll('42["ns",1]', { contentType: 'text/plain' });
    await svc.group(roomGroup('/', a.id)).sendToAll('42["only-a",2]', { contentType: 'text/plain' });
    await svc.sendToAll('42["all",3]', { contentType: 'text/plain' });
    await until(() => ga.length === 3 && gb.length === 2);
    assert.deepEqual(ga, [['ns', 1], ['only-a', 2], ['all', 3]]);
    assert.deepEqual(gb, [['ns', 1], ['all', 3]]);
  });

  it('adds and removes rooms by OData filter and honours excluded and filter on sends', async () => {
    const a = await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/');
    const b = await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/');
    const ga = recorder(a);
    const gb = recorder(b);
    const room = roomGroup('/', 'lobby');
    await svc.addConnectionsToGroups([room],
      `'${roomGroup('/', a.id)}' in groups or '${roomGroup('/', b.id)}' in groups`);
    assert.equal(await svc.groupExists(room), true);
    await svc.group(room).sendToAll('42["lobby",1]', { contentType: 'text/plain' });
    // excluded connection ids (Engine.IO sids)
    await svc.group(room).sendToAll('42["lobby",2]', { contentType: 'text/plain', excludedConnections: [b.io.engine.id] });
    // filter on a group send: everyone in the room but socket a
    await svc.group(room).sendToAll('42["lobby",3]', {
      contentType: 'text/plain', filter: `not ('${roomGroup('/', a.id)}' in groups)`,
    });
    await svc.removeConnectionsFromGroups([room], `'${roomGroup('/', a.id)}' in groups`);
    await svc.group(room).sendToAll('42["lobby",4]', { contentType: 'text/plain' });
    await until(() => ga.length >= 2 && gb.length >= 3);
    await sleep(100);
    assert.deepEqual(ga, [['lobby', 1], ['lobby', 2]]);
    assert.deepEqual(gb, [['lobby', 1], ['lobby', 3], ['lobby', 4]]);
  });

  it('honours a long excluded list (hashed in the hub) on namespace and group sends', async () => {
    const socks = [];
    for (let i = 0; i < 12; i++) socks.push(await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/'));
    const got = socks.map(recorder);
    const room = roomGroup('/', 'many');
    await svc.addConnectionsToGroups([room], socks.map((s) => `'${roomGroup('/', s.id)}' in groups`).join(' or '));
    const excluded = socks.slice(0, 10).map((s) => s.io.engine.id);
    await svc.group(nsGroup('/')).sendToAll('42["many",1]', { contentType: 'text/plain', excludedConnections: excluded });
    await svc.group(room).sendToAll('42["many",2]', { contentType: 'text/plain', excludedConnections: excluded });
    await until(() => got[10].length >= 2 && got[11].length >= 2);
    await sleep(150);
    for (let i = 0; i < 10; i++) assert.deepEqual(got[i], [], `excluded socket ${i} got ${JSON.stringify(got[i])}`);
    assert.deepEqual(got[10], [['many', 1], ['many', 2]]);
    assert.deepEqual(got[11], [['many', 1], ['many', 2]]);
    for (const s of socks) s.io.engine.close();
  });

  it('delivers binary events sent as an Engine.IO payload', async () => {
    const a = await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/');
    const got = once(a, 'bin', 3000);
    const body = `451-["bin",{"_placeholder":true,"num":0}]\x1eb${Buffer.from([1, 2, 3]).toString('base64')}`;
    await svc.group(roomGroup('/', a.id)).sendToAll(body, { contentType: 'text/plain' });
    const [buf] = await got;
    assert.deepEqual([...buf], [1, 2, 3]);
  });

  it('answers existence checks with 200 and 404', async () => {
    const a = await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/');
    assert.equal(await svc.connectionExists(a.io.engine.id), true);
    assert.equal(await svc.connectionExists('no-such-connection'), false);
    assert.equal(await svc.groupExists(roomGroup('/', a.id)), true);
    assert.equal(await svc.groupExists('0~Lw~bm9ib2R5'), false);
  });

  it('turns a DISCONNECT send into a real namespace disconnect, and closes with {"close":true}', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const a = await connectSocket(m, '/');
    const c = await connectSocket(m, '/chat');
    const id = a.id;
    const gone = once(a, 'disconnect', 3000);
    await svc.group(roomGroup('/', id)).sendToAll('41', { contentType: 'text/plain' });
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
    await srv.waitForLog(new RegExp(`socket disconnected .*nsp=/ socket=${id} .*reason=server namespace disconnect`));
    // The other namespace on the connection keeps working.
    assert.deepEqual(await ack(c, 'still', 1), [1]); // the echo handler acks the arguments
    assert.equal(await svc.groupExists(roomGroup('/', id)), false);
    // close:true also ends the Engine.IO connection.
    const sid = m.engine.id;
    const closed = once(m.engine, 'close', 3000);
    await svc.group(roomGroup('/chat', c.id)).sendToAll('41/chat,{"close":true}', { contentType: 'text/plain' });
    await closed;
    assert.equal(await svc.connectionExists(sid), false);
  });

  it('closes a connection with DELETE /connections/{id}', async () => {
    const m = manager(srv, { hub: 'chat', transports: ['websocket'] });
    const a = await connectSocket(m, '/');
    const id = a.id;
    const closed = once(m.engine, 'close', 3000);
    await svc.closeConnection(a.io.engine.id, { reason: 'bye' });
    await closed;
    await srv.waitForLog(new RegExp(`socket disconnected .*socket=${id} .*reason=bye`));
  });

  it('rejects bad bodies, filters, api versions and tokens with JSON errors', async () => {
    await assert.rejects(svc.sendToAll('42["connect"]', { contentType: 'text/plain' }), (e) => e.statusCode === 400);
    await assert.rejects(svc.sendToAll('zzz', { contentType: 'text/plain' }), (e) => e.statusCode === 400);
    await assert.rejects(svc.sendToAll('42["x"]', { contentType: 'text/plain', filter: "userId eq 'a' and (" }),
      (e) => e.statusCode === 400 && /Invalid syntax for/.test(e.message) && /position/.test(e.message));
    const path = '/api/hubs/chat/:send?api-version=2024-01-01';
    const url = `${srv.origin}${path}`;
    const now = Math.floor(Date.now() / 1000);
    const good = hs256({ aud: url, exp: now + 60, iat: now }, srv.key);
    const cases = [
      [{}, 401],
      [{ Authorization: 'Bearer garbage' }, 401],
      [{ Authorization: `Bearer ${hs256({ aud: url, exp: now + 60 }, 'wrong-key')}` }, 401],
      [{ Authorization: `Bearer ${hs256({ aud: url, exp: now - 600 }, srv.key)}` }, 401],
      [{ Authorization: `Bearer ${hs256({ aud: `${srv.origin}/api/hubs/other/:send`, exp: now + 60 }, srv.key)}` }, 401],
    ];
    for (const [headers, status] of cases) {
      const r = await request({ port: srv.port, method: 'POST', path, headers: { 'Content-Type': 'text/plain', ...headers }, body: '42["x"]' });
      assert.equal(r.status, status);
      const body = json(r);
      assert.equal(typeof body.code, 'string');
      assert.equal(typeof body.message, 'string');
    }
    const ok = await request({ port: srv.port, method: 'POST', path, headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${good}` }, body: '42["x"]' });
    assert.equal(ok.status, 202);
    const badVersion = '/api/hubs/chat/:send?api-version=1999-01-01';
    const r = await request({
      port: srv.port, method: 'POST', path: badVersion,
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${hs256({ aud: srv.origin + badVersion, exp: now + 60 }, srv.key)}` },
      body: '42["x"]',
    });
    assert.equal(r.status, 400);
    assert.equal(json(r).code, 'UnsupportedApiVersion');
  });

  it('issues client tokens: a Socket.IO client connects to a hub that denies anonymous clients', async () => {
    const secure = new WebPubSubServiceClient(srv.connectionString, 'secure', { allowInsecureConnection: true });
    // Signed locally by the SDK (key-based), as a backend's negotiate does.
    const { token } = await secure.getClientAccessToken({ userId: 'alice', clientProtocol: 'socketio' });
    const m = manager(srv, { hub: 'secure', transports: ['websocket'], query: { access_token: token } });
    const s = await connectSocket(m, '/');
    assert.deepEqual(await ack(s, 'hi', 1), [1]);
    // sub became the userId: a send to the user reaches it.
    const got = once(s, 'for-alice', 3000);
    await secure.sendToUser('alice', '42["for-alice",1]', { contentType: 'text/plain' });
    assert.deepEqual(await got, [1]);
    assert.equal(await secure.userExists('alice'), true);
    assert.equal(await secure.userExists('bob'), false);
    // :generateToken (what an Entra-authenticated backend calls)
    const path = '/api/hubs/secure/:generateToken?api-version=2024-01-01&userId=bob&minutesToExpire=5';
    const now = Math.floor(Date.now() / 1000);
    const auth = hs256({ aud: srv.origin + path, exp: now + 60 }, srv.key);
    const r = await request({ port: srv.port, method: 'POST', path, headers: { Authorization: `Bearer ${auth}` } });
    assert.equal(r.status, 200);
    const generated = json(r).token;
    const claims = JSON.parse(Buffer.from(generated.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'bob');
    assert.equal(claims.aud, `${srv.origin}/clients/socketio/hubs/secure`);
    assert.ok(claims.exp - now <= 5 * 60 + 5 && claims.exp - now >= 5 * 60 - 5);
    const s2 = await connectSocket(manager(srv, { hub: 'secure', transports: ['polling'], query: { access_token: generated } }), '/');
    assert.ok(s2.id);
  });

  it('refuses the handshake without a valid token (401 JSON, no session)', async () => {
    const base = '/clients/socketio/hubs/secure/?EIO=4&transport=polling';
    const now = Math.floor(Date.now() / 1000);
    const aud = `${srv.origin}/clients/socketio/hubs/secure`;
    const tokens = [
      null,
      'not-a-token',
      hs256({ aud, exp: now + 60 }, 'wrong-key'),
      hs256({ aud, exp: now - 3600 }, srv.key),
      hs256({ aud, exp: now + 3600, nbf: now + 3600 }, srv.key),
      hs256({ aud: `${srv.origin}/clients/socketio/hubs/chat`, exp: now + 60 }, srv.key),
    ];
    for (const tok of tokens) {
      const r = await request({ port: srv.port, path: tok ? `${base}&access_token=${tok}` : base });
      assert.equal(r.status, 401, `token ${tok}`);
      assert.equal(json(r).code, 'Unauthorized');
    }
    // The bearer header works as well as the query.
    const ok = await request({ port: srv.port, path: base, headers: { Authorization: `Bearer ${hs256({ aud, exp: now + 60 }, srv.key)}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^0\{"sid":/);
  });

  it('lists the connections of a group', async () => {
    const a = await connectSocket(manager(srv, { hub: 'chat', transports: ['websocket'] }), '/');
    const path = `/api/hubs/chat/groups/${encodeURIComponent(roomGroup('/', a.id))}/connections?api-version=2024-12-01`;
    const now = Math.floor(Date.now() / 1000);
    const r = await request({ port: srv.port, path, headers: { Authorization: `Bearer ${hs256({ aud: srv.origin + path, exp: now + 60 }, srv.key)}` } });
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { value: [{ connectionId: a.io.engine.id, userId: null }] });
  });
});

describe('negotiate (the client workflow of the seed document)', () => {
  it('GET /negotiate returns {endpoint, path, token} a socket.io-client connects with', async (t) => {
    const { spawn } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const bin = process.env.SIO_SERVER ?? resolve('build/examples/sio-server/sio-server');
    // No --config: the embedded demo (hub "chat"), where /negotiate is on.
    const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const demo = superviseProcess(child, 'sio-server (demo)', { ready: [/client url \(hub chat\): http:\/\/127\.0\.0\.1:\d+/] });
    // Ended by SIGKILL on purpose; the check is that the SIGKILL ended it and
    // that nothing before it wrote a sanitizer report.
    t.after(() => demo.stop('SIGKILL'));
    const [line] = await demo.startup;
    const origin = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)[1];
    const port = Number(new URL(origin).port);
    const r = await request({ port, path: '/negotiate?hub=chat&userId=carol' });
    assert.equal(r.status, 200);
    const n = json(r);
    assert.deepEqual(Object.keys(n).sort(), ['endpoint', 'path', 'token']);
    assert.equal(n.endpoint, origin);
    assert.equal(n.path, '/clients/socketio/hubs/chat');
    const claims = JSON.parse(Buffer.from(n.token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'carol');
    assert.equal(claims.aud, origin + n.path);
    const { io } = await import('socket.io-client');
    const s = io(n.endpoint, { path: n.path, query: { access_token: n.token }, transports: ['websocket'], reconnection: false });
    t.after(() => s.close());
    await once(s, 'connect', 5000);
    // The demo hub's in-process handler answers (an ack arrives).
    const reply = await ack(s, 'join', 'lobby');
    assert.equal(reply.length, 1);
    assert.equal((await request({ port, path: '/negotiate?hub=nope' })).status, 400);
  });
});

describe('keys, tokens and filters against known sockets', () => {
  let srv;
  const primary = 'primary-key-for-the-filter-and-token-tests-000';
  const secondary = 'secondary-key-for-the-filter-and-token-tests-00';
  const sockets = {};

  before(async () => {
    srv = await startSioServer({
      hubs: { secure: { anonymousConnectPolicy: 'deny', inProcessHandler: 'echo' } },
      config: { accessKeys: { primary, secondary } },
    });
    const aud = `${srv.origin}/clients/socketio/hubs/secure`;
    const now = Math.floor(Date.now() / 1000);
    // u1 and u2 signed with the primary key, u3 with the secondary one.
    for (const [user, key] of [['u1', primary], ['u2', primary], ['u3', secondary]]) {
      const token = hs256({ aud, exp: now + 600, iat: now, sub: user }, key);
      const m = manager(srv, { hub: 'secure', transports: ['websocket'], query: { access_token: token } });
      sockets[user] = await connectSocket(m, '/');
      sockets[user].got = recorder(sockets[user]);
    }
    // rooms: u1 and u2 in "red", u3 in "blue"
    const svc = new WebPubSubServiceClient(`Endpoint=${srv.origin};AccessKey=${secondary};Version=1.0;`, 'secure', { allowInsecureConnection: true });
    await svc.addConnectionsToGroups([roomGroup('/', 'red')], "userId eq 'u1' or userId eq 'u2'");
    await svc.addConnectionsToGroups([roomGroup('/', 'blue')], "userId eq 'u3'");
  });
  after(async () => { closeAll(); await srv?.kill(); });

  it('accepts REST calls signed with either key and refuses a tampered payload', async () => {
    for (const key of [primary, secondary]) {
      const svc = new WebPubSubServiceClient(`Endpoint=${srv.origin};AccessKey=${key};Version=1.0;`, 'secure', { allowInsecureConnection: true });
      assert.equal(await svc.userExists('u3'), true);
    }
    const path = '/api/hubs/secure/users/u1?api-version=2024-01-01';
    const now = Math.floor(Date.now() / 1000);
    const good = hs256({ aud: srv.origin + path, exp: now + 60 }, primary);
    const [h, , sig] = good.split('.');
    const forged = `${h}.${b64u(JSON.stringify({ aud: srv.origin + path, exp: now + 6000 }))}.${sig}`;
    assert.equal((await request({ port: srv.port, method: 'HEAD', path, headers: { Authorization: `Bearer ${good}` } })).status, 200);
    assert.equal((await request({ port: srv.port, method: 'HEAD', path, headers: { Authorization: `Bearer ${forged}` } })).status, 401);
    const none = `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64u(JSON.stringify({ aud: srv.origin + path, exp: now + 60 }))}.`;
    assert.equal((await request({ port: srv.port, method: 'HEAD', path, headers: { Authorization: `Bearer ${none}` } })).status, 401);
  });

  const table = [
    ["userId eq 'u1'", ['u1']],
    ["userId ne 'u1'", ['u2', 'u3']],
    ["userId in ('u1', 'u3')", ['u1', 'u3']],
    [`'${roomGroup('/', 'red')}' in groups`, ['u1', 'u2']],
    [`'${roomGroup('/', 'red')}' in groups and not (userId eq 'u2')`, ['u1']],
    [`'${roomGroup('/', 'blue')}' in groups or userId eq 'u1' and '${roomGroup('/', 'red')}' in groups`, ['u1', 'u3']],
    ["startswith(userId, 'u') and length(userId) eq 2", ['u1', 'u2', 'u3']],
    // A quote inside a literal is data, never syntax: nobody is called this.
    ["userId eq 'u1'' or ''1'' eq ''1'", []],
    ["USERID EQ 'u2'", ['u2']],
    ['userId eq null', []],
  ];
  for (const [filter, expected] of table) {
    it(`sends with filter ${JSON.stringify(filter)} to exactly ${JSON.stringify(expected)}`, async () => {
      const svc = new WebPubSubServiceClient(`Endpoint=${srv.origin};AccessKey=${primary};Version=1.0;`, 'secure', { allowInsecureConnection: true });
      const tag = crypto.randomUUID();
      await svc.sendToAll(`42["f","${tag}"]`, { contentType: 'text/plain', filter });
      await svc.sendToAll(`42["end","${tag}"]`, { contentType: 'text/plain' }); // a marker everyone gets
      await until(() => Object.values(sockets).every((s) => s.got.some(([e, t]) => e === 'end' && t === tag)));
      const receivers = Object.entries(sockets).filter(([, s]) => s.got.some(([e, t]) => e === 'f' && t === tag)).map(([u]) => u);
      assert.deepEqual(receivers, expected);
    });
  }

  const invalid = [
    "userId eq 'u1",                       // unterminated literal
    "userId eq 'u1' or",                   // dangling operator
    "(userId eq 'u1'",                     // unbalanced
    "userId eq 'u1'; DROP TABLE users",    // trailing garbage
    "') or true or ('",                    // injection attempt without a field
    "password eq 'x'",                     // unknown field
    '('.repeat(5000) + "userId eq 'a'" + ')'.repeat(5000), // nesting bomb
    `userId eq '${'x'.repeat(20000)}'`,    // oversized
  ];
  for (const filter of invalid) {
    it(`refuses filter ${JSON.stringify(filter.slice(0, 40))} with 400 and sends nothing`, async () => {
      const svc = new WebPubSubServiceClient(`Endpoint=${srv.origin};AccessKey=${primary};Version=1.0;`, 'secure', { allowInsecureConnection: true });
      const tag = crypto.randomUUID();
      await assert.rejects(svc.sendToAll(`42["f","${tag}"]`, { contentType: 'text/plain', filter }),
        (e) => e.statusCode === 400 || e.statusCode === 414);
      await svc.sendToAll(`42["end","${tag}"]`, { contentType: 'text/plain' });
      await until(() => Object.values(sockets).every((s) => s.got.some(([e, t]) => e === 'end' && t === tag)));
      assert.ok(Object.values(sockets).every((s) => !s.got.some(([e, t]) => e === 'f' && t === tag)));
    });
  }
});
