// sio::emitter and sio::event end to end: socket.io-client sockets ask the
// emitter-probe program (tests/integration/emitter_probe) to emit, join,
// leave and disconnect through the emitter, and check who gets what:
// rooms (a socket in several of them once), except, of(nsp), to_user,
// a socket id as a room, binary arguments (nested, numbered across the
// array) over WebSocket and polling, emits from a plain thread, and the
// replies sio::ack / emit_back / reject build.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Manager } from 'socket.io-client';
import { once, ack } from './support/clients.mjs';
import { superviseProcess } from './support/server.mjs';

const BIN = process.env.EMITTER_PROBE ?? path.resolve('build/tests/integration/emitter-probe');
const CLIENT_URL = /^client url \(hub probe\): (http:\/\/127\.0\.0\.1:\d+)\/clients\/socketio\/hubs\/probe$/;
const STEP_MS = 5000;

let probe;
let origin;
const managers = [];

before(async () => {
  const child = spawn(BIN, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  probe = superviseProcess(child, 'emitter-probe', { ready: [CLIENT_URL] });
  const [line] = await probe.startup;
  origin = CLIENT_URL.exec(line)[1];
});

after(async () => {
  for (const m of managers) {
    try { m.engine?.close(); } catch { /* already closed */ }
  }
  // SIGTERM: exit code 0 and no sanitizer report, or the suite fails.
  await probe?.kill();
});

/** A new Engine.IO connection. */
function connection(transports = ['websocket']) {
  const m = new Manager(origin, {
    path: '/clients/socketio/hubs/probe',
    transports,
    reconnection: false,
    timeout: STEP_MS,
  });
  managers.push(m);
  return m;
}

/**
 * A connected socket on `nsp` of manager `m` (a new connection by default)
 * that records every event it gets: s.got(name) lists their arguments.
 */
async function socket(nsp = '/', { m = connection(), auth } = {}) {
  const s = m.socket(nsp, auth ? { auth } : {});
  const received = [];
  s.onAny((name, ...args) => received.push({ name, args }));
  s.got = (name) => received.filter((e) => e.name === name).map((e) => e.args);
  const [err] = await Promise.race([once(s, 'connect', STEP_MS).then(() => []), once(s, 'connect_error', STEP_MS)]);
  if (err) throw new Error(`connect_error on ${nsp}: ${err.message}`);
  return s;
}

let sentinels = 0;

/**
 * Has `ctrl` run `cmd`, then emits a sentinel event to every socket of the
 * namespaces of `watched` through the same hub: the hub delivers in order,
 * so once each watched socket has its sentinel, it got whatever `cmd` sent
 * it. No sleep decides that something did not arrive.
 */
async function run(ctrl, cmd, watched) {
  assert.deepEqual(await ack(ctrl, 'cmd', cmd), ['done']);
  const tag = `sentinel-${++sentinels}`;
  const arrivals = watched.map((s) => once(s, tag, STEP_MS));
  const namespaces = [...new Set(watched.map((s) => s.nsp))];
  for (const nsp of namespaces)
    assert.deepEqual(await ack(ctrl, 'cmd', { op: 'emit', nsp, event: tag }), ['done']);
  await Promise.all(arrivals);
}

describe('sio::emitter', () => {
  it('to() several rooms reaches each socket once; except() leaves a room out', async () => {
    const [a, b, c, d] = await Promise.all([socket(), socket(), socket(), socket()]);
    const all = [a, b, c, d];
    await run(a, { op: 'join', to: [b.id], room: 'r1' }, all);
    await run(a, { op: 'join', to: [c.id], room: 'r1' }, all);
    await run(a, { op: 'join', to: [c.id], room: 'r2' }, all);
    await run(a, { op: 'join', to: [a.id], room: 'r2' }, all);

    await run(a, { op: 'emit', to: ['r1', 'r2'], event: 'both', args: ['x'] }, all);
    assert.deepEqual(all.map((s) => s.got('both').length), [1, 1, 1, 0]);
    assert.deepEqual(c.got('both'), [['x']]);

    await run(a, { op: 'emit', to: ['r1', 'r2'], except: ['r2'], event: 'only-b' }, all);
    assert.deepEqual(all.map((s) => s.got('only-b').length), [0, 1, 0, 0]);

    // No room: the whole namespace, minus the excepted ones.
    await run(a, { op: 'emit', except: ['r1', a.id], event: 'rest' }, all);
    assert.deepEqual(all.map((s) => s.got('rest').length), [0, 0, 0, 1]);

    // leave(): c is no longer in r1.
    await run(a, { op: 'leave', to: [c.id], room: 'r1' }, all);
    await run(a, { op: 'emit', to: ['r1'], event: 'r1-after-leave' }, all);
    assert.deepEqual(all.map((s) => s.got('r1-after-leave').length), [0, 1, 0, 0]);

    // join() a room for a whole room's sockets at once (socketsJoin).
    await run(a, { op: 'join', to: ['r2'], room: 'r3' }, all);
    await run(a, { op: 'emit', to: ['r3'], event: 'r3' }, all);
    assert.deepEqual(all.map((s) => s.got('r3').length), [1, 0, 1, 0]);
  });

  it('of() addresses another namespace only, also on a shared connection', async () => {
    const m = connection();
    const root = await socket('/', { m });
    const chat = await socket('/chat', { m });
    const otherChat = await socket('/chat');
    const watched = [root, chat, otherChat];
    await run(root, { op: 'emit', nsp: '/chat', event: 'chat-news', args: [{ n: 1 }] }, watched);
    assert.deepEqual(root.got('chat-news'), []);
    assert.deepEqual(chat.got('chat-news'), [[{ n: 1 }]]);
    assert.deepEqual(otherChat.got('chat-news'), [[{ n: 1 }]]);
    // A socket id is a room in its own namespace.
    await run(root, { op: 'emit', nsp: '/chat', to: [chat.id], event: 'direct' }, watched);
    assert.deepEqual(watched.map((s) => s.got('direct').length), [0, 1, 0]);
  });

  it('to_user() reaches the user\'s sockets in the namespace only', async () => {
    const alice1 = await socket('/', { auth: { user: 'alice' } });
    const alice2 = await socket('/', { auth: { user: 'alice' } });
    const aliceChat = await socket('/chat', { auth: { user: 'alice' } });
    const bob = await socket('/', { auth: { user: 'bob' } });
    const watched = [alice1, alice2, aliceChat, bob];
    await run(bob, { op: 'emit', user: 'alice', event: 'for-alice', args: ['hi'] }, watched);
    assert.deepEqual(watched.map((s) => s.got('for-alice').length), [1, 1, 0, 0]);
    await run(bob, { op: 'emit', nsp: '/chat', user: 'alice', event: 'chat-alice' }, watched);
    assert.deepEqual(watched.map((s) => s.got('chat-alice').length), [0, 0, 1, 0]);
    // Joined by user, then reached by room; except() applies to users too.
    await run(bob, { op: 'join', user: 'alice', room: 'alices' }, watched);
    await run(bob, { op: 'emit', to: ['alices'], event: 'room-of-alice' }, watched);
    assert.deepEqual(watched.map((s) => s.got('room-of-alice').length), [1, 1, 0, 0]);
    await run(bob, { op: 'emit', user: 'alice', except: [alice1.id], event: 'not-alice1' }, watched);
    assert.deepEqual(watched.map((s) => s.got('not-alice1').length), [0, 1, 0, 0]);
  });

  it('the empty room and the empty user address nobody; join/leave ignore the empty room', async () => {
    const anonymous = await socket();
    const named = await socket('/', { auth: { user: 'carol' } });
    const watched = [anonymous, named];
    await run(named, { op: 'emit', to: [''], event: 'empty-room' }, watched);
    await run(named, { op: 'emit', user: '', event: 'empty-user' }, watched);
    await run(named, { op: 'emit', except: [''], event: 'except-empty' }, watched);
    assert.deepEqual(watched.map((s) => s.got('empty-room').length), [0, 0]);
    assert.deepEqual(watched.map((s) => s.got('empty-user').length), [0, 0]);
    assert.deepEqual(watched.map((s) => s.got('except-empty').length), [1, 1]);
    // leave('') must not take a socket out of its namespace.
    await run(named, { op: 'join', to: [anonymous.id], room: '' }, watched);
    await run(named, { op: 'leave', to: [anonymous.id], room: '' }, watched);
    await run(named, { op: 'emit', event: 'still-here' }, watched);
    assert.deepEqual(watched.map((s) => s.got('still-here').length), [1, 1]);
  });

  it('emits binary arguments, nested ones too, over WebSocket and polling, from a plain thread too', async () => {
    const ctrl = await socket();
    const ws = await socket();
    const polling = await socket('/', { m: connection(['polling']) });
    const watched = [ctrl, ws, polling];
    await run(ctrl, { op: 'join', to: [ws.id], room: 'bin' }, watched);
    await run(ctrl, { op: 'join', to: [polling.id], room: 'bin' }, watched);
    const one = Buffer.from([0, 1, 2, 255]);
    const two = Buffer.from('two');
    const three = Buffer.from([]);
    for (const thread of [false, true]) {
      const event = thread ? 'bin-thread' : 'bin';
      await run(ctrl, { op: 'emit', to: ['bin'], event, thread, args: [1, one, [two, three], 'end'] }, watched);
      assert.equal(ctrl.got(event).length, 0);
      for (const s of [ws, polling]) {
        const got = s.got(event);
        assert.equal(got.length, 1);
        const [n, b1, nested, end] = got[0];
        assert.equal(n, 1);
        assert.deepEqual(Buffer.from(b1), one);
        assert.equal(nested.length, 2);
        assert.deepEqual(Buffer.from(nested[0]), two);
        assert.deepEqual(Buffer.from(nested[1]), three);
        assert.equal(end, 'end');
      }
    }
  });

  it('disconnect() ends the target\'s sockets in the namespace; disconnect(true) their connections', async () => {
    const ctrl = await socket();
    const m1 = connection();
    const s1 = await socket('/', { m: m1 });
    const s1chat = await socket('/chat', { m: m1 });
    const m2 = connection();
    const s2 = await socket('/', { m: m2 });
    const s2chat = await socket('/chat', { m: m2 });

    const gone1 = once(s1, 'disconnect', STEP_MS);
    await run(ctrl, { op: 'disconnect', to: [s1.id] }, [ctrl, s1chat]);
    const [reason] = await gone1;
    assert.equal(reason, 'io server disconnect');
    assert.ok(s1chat.connected, 'the connection\'s other socket stays');

    const gone2 = once(s2, 'disconnect', STEP_MS);
    const gone2chat = once(s2chat, 'disconnect', STEP_MS);
    assert.deepEqual(await ack(ctrl, 'cmd', { op: 'close', to: [s2.id] }), ['done']);
    await gone2;
    await gone2chat; // the Engine.IO connection itself closed
    assert.ok(ctrl.connected);
  });
});

describe('sio::event replies', () => {
  it('emit_back() answers the sender only, binary included', async () => {
    const s = await socket('/chat');
    const other = await socket('/chat');
    const bytes = Buffer.from([9, 8, 7]);
    const echoed = once(s, 'echo', STEP_MS);
    s.emit('echo', 'a', { b: [bytes] }, bytes);
    const [a, obj, raw] = await echoed;
    assert.equal(a, 'a');
    // An object holding a placeholder goes back as JSON (the handler
    // resolves top-level binaries and arrays of them only): its placeholder
    // is the attachment's, so the client rebuilds the same Buffer.
    assert.deepEqual(Buffer.from(obj.b[0]), bytes);
    assert.deepEqual(Buffer.from(raw), bytes);
    assert.deepEqual(other.got('echo'), []);
  });

  it('ack() carries the arguments back, binary as a BINARY_ACK', async () => {
    const s = await socket();
    const bytes = Buffer.from('binary ack');
    const reply = await ack(s, 'ackecho', 1, 'two', [bytes, bytes], bytes);
    assert.equal(reply.length, 4);
    assert.deepEqual(reply.slice(0, 2), [1, 'two']);
    assert.deepEqual(reply[2].map((b) => Buffer.from(b)), [bytes, bytes]);
    assert.deepEqual(Buffer.from(reply[3]), bytes);
  });

  it('args escape strings, write non-finite numbers as null and keep integers whole', async () => {
    const s = await socket();
    const reply = await ack(s, 'bad');
    assert.deepEqual(reply, [null, null, 'quote" back\\ nl\n \x01 bad\uFFFD', [1, 2], { raw: [true] }, null, 2 ** 64]);
  });

  it('reject() gives connect_error its message and data', async () => {
    const m = connection();
    const s = m.socket('/deny');
    const [err] = await once(s, 'connect_error', STEP_MS);
    assert.equal(err.message, 'denied here');
    assert.deepEqual(err.data, { code: 4, why: 'test' });
  });
});
