// The in-process chat handler ("inProcessHandler": "chat", the default of
// `sio-server` without a config) driven by the official socket.io-client:
// join/leave/message with acks, validation, room isolation, `system` join and
// leave notices, and the sender's name (auth name, userId, guest-<id>).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, once, ack, sleep } from './support/clients.mjs';
import { signJwt, clientClaims } from './support/hostile.mjs';

const ROOM_EVENTS = ['message', 'system'];

/** Records every `message`/`system` event a socket gets, in order. */
function record(socket) {
  const got = [];
  for (const name of ROOM_EVENTS) socket.on(name, (arg) => got.push({ name, ...arg }));
  return got;
}

/** Waits until `pred(list)` holds (bounded), then returns the list. */
async function until(list, pred, what, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (!pred(list)) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(list)}`);
    await sleep(10);
  }
  return list;
}

/** One ack value (the handler always acks with exactly one object). */
async function ack1(socket, event, ...args) {
  const reply = await ack(socket, event, ...args);
  assert.equal(reply.length, 1, `one ack argument for ${event}`);
  return reply[0];
}

let srv;
/** A connected chat socket (its own Engine.IO connection). */
async function client({ name, transports = ['websocket'], query } = {}) {
  const m = manager(srv, { hub: 'chat', transports, query, forceNew: true });
  return connectSocket(m, '/', name === undefined ? {} : { auth: { name } });
}

before(async () => {
  srv = await startSioServer({ hubs: { chat: { anonymousConnectPolicy: 'allow', inProcessHandler: 'chat' } } });
});
after(async () => {
  closeAll();
  await srv?.kill();
});

describe('chat handler: join, message, leave', () => {
  it('acks a join with the room and tells the room who joined', async () => {
    const alice = await client({ name: 'alice' });
    const seenA = record(alice);
    assert.deepEqual(await ack1(alice, 'join', 'lobby'), { ok: true, room: 'lobby' });
    await until(seenA, (l) => l.some((e) => e.name === 'system'), 'alice\'s own join notice');
    const bob = await client({ name: 'bob' });
    const seenB = record(bob);
    assert.deepEqual(await ack1(bob, 'join', 'lobby'), { ok: true, room: 'lobby' });
    await until(seenA, (l) => l.some((e) => e.text === 'bob joined lobby'), 'bob\'s join notice at alice');
    await until(seenB, (l) => l.some((e) => e.text === 'bob joined lobby'), 'bob\'s join notice at bob');
    const notice = seenA.find((e) => e.text === 'bob joined lobby');
    assert.equal(notice.name, 'system');
    assert.equal(notice.room, 'lobby');
    assert.ok(Math.abs(notice.at - Date.now()) < 60000, 'at is ms since the epoch');
    // A second join of the same room is fine and silent.
    assert.deepEqual(await ack1(bob, 'join', 'lobby'), { ok: true, room: 'lobby' });

    const before = Date.now();
    assert.deepEqual(await ack1(alice, 'message', { room: 'lobby', text: 'hi bob' }), { ok: true });
    const [m] = (await until(seenB, (l) => l.some((e) => e.name === 'message'), 'the message at bob'))
      .filter((e) => e.name === 'message');
    assert.equal(m.room, 'lobby');
    assert.equal(m.from, 'alice');
    assert.equal(m.text, 'hi bob');
    assert.ok(m.at >= before - 1000 && m.at <= Date.now() + 1000, `at ${m.at} is now`);
    // The sender sees its own message too.
    await until(seenA, (l) => l.some((e) => e.name === 'message' && e.text === 'hi bob'), 'the message at alice');
    // Exactly one copy each.
    await sleep(100);
    assert.equal(seenB.filter((e) => e.name === 'message').length, 1);
    assert.equal(seenA.filter((e) => e.name === 'message').length, 1);

    // Leave: acked, the room hears it, and the leaver gets no more messages.
    assert.deepEqual(await ack1(bob, 'leave', 'lobby'), { ok: true, room: 'lobby' });
    await until(seenA, (l) => l.some((e) => e.text === 'bob left lobby'), 'bob\'s leave notice');
    assert.deepEqual(await ack1(alice, 'message', { room: 'lobby', text: 'still there?' }), { ok: true });
    await until(seenA, (l) => l.some((e) => e.text === 'still there?'), 'alice\'s second message');
    await sleep(150);
    assert.ok(!seenB.some((e) => e.text === 'still there?'), 'bob left: no delivery');
    // ... and may no longer send there.
    const refused = await ack1(bob, 'message', { room: 'lobby', text: 'back?' });
    assert.equal(refused.ok, false);
    assert.match(refused.error, /join/);
    // Leaving a room one is not in is refused.
    assert.equal((await ack1(bob, 'leave', 'lobby')).ok, false);
    alice.disconnect();
    bob.disconnect();
  });

  it('keeps rooms apart: a message in room A is not seen in room B', async () => {
    const a = await client({ name: 'ann' });
    const b = await client({ name: 'ben' });
    const both = await client({ name: 'bea' });
    const seenA = record(a);
    const seenB = record(b);
    const seenBoth = record(both);
    assert.equal((await ack1(a, 'join', 'room-a')).ok, true);
    assert.equal((await ack1(b, 'join', 'room-b')).ok, true);
    assert.equal((await ack1(both, 'join', 'room-a')).ok, true);
    assert.equal((await ack1(both, 'join', 'room-b')).ok, true);
    assert.equal((await ack1(a, 'message', { room: 'room-a', text: 'only A' })).ok, true);
    assert.equal((await ack1(b, 'message', { room: 'room-b', text: 'only B' })).ok, true);
    await until(seenBoth, (l) => l.filter((e) => e.name === 'message').length === 2, 'both messages at bea');
    await until(seenA, (l) => l.some((e) => e.text === 'only A'), 'A at ann');
    await until(seenB, (l) => l.some((e) => e.text === 'only B'), 'B at ben');
    await sleep(150);
    assert.ok(!seenA.some((e) => e.text === 'only B'), 'ann (room-a) must not see room-b');
    assert.ok(!seenB.some((e) => e.text === 'only A'), 'ben (room-b) must not see room-a');
    assert.ok(!seenB.some((e) => /room-a/.test(e.text ?? '')), 'room-a notices stay in room-a');
    assert.deepEqual(seenBoth.filter((e) => e.name === 'message').map((e) => [e.room, e.from, e.text]).sort(),
      [['room-a', 'ann', 'only A'], ['room-b', 'ben', 'only B']]);
    // A socket that has not joined room-b may not post there.
    const r = await ack1(a, 'message', { room: 'room-b', text: 'sneak' });
    assert.equal(r.ok, false);
    await sleep(100);
    assert.ok(!seenB.some((e) => e.text === 'sneak'));
    a.disconnect(); b.disconnect(); both.disconnect();
  });

  it('tells the room when a member disconnects', async () => {
    const stay = await client({ name: 'stay' });
    const go = await client({ name: 'go' });
    const seen = record(stay);
    await ack1(stay, 'join', 'bye');
    await ack1(go, 'join', 'bye');
    go.disconnect();
    await until(seen, (l) => l.some((e) => e.text === 'go left bye'), 'the leave notice of a disconnect');
    stay.disconnect();
  });

  it('works over long-polling too', async () => {
    const p1 = await client({ name: 'poll1', transports: ['polling'] });
    const p2 = await client({ name: 'poll2', transports: ['polling'] });
    const seen = record(p2);
    await ack1(p1, 'join', 'slow');
    await ack1(p2, 'join', 'slow');
    assert.equal((await ack1(p1, 'message', { room: 'slow', text: 'über 🚀 polling' })).ok, true);
    const l = await until(seen, (x) => x.some((e) => e.name === 'message'), 'the polled message');
    assert.equal(l.find((e) => e.name === 'message').text, 'über 🚀 polling');
    p1.disconnect(); p2.disconnect();
  });
});

describe('chat handler: names', () => {
  it('uses the auth name, else guest-<first 6 chars of the socket id>', async () => {
    const guest = await client();
    await ack1(guest, 'join', 'names');
    const seen = record(guest);
    await ack1(guest, 'message', { room: 'names', text: 'who am i' });
    const l = await until(seen, (x) => x.some((e) => e.name === 'message'), 'own message');
    assert.equal(l.find((e) => e.name === 'message').from, `guest-${guest.id.slice(0, 6)}`);
    // An empty name is no name.
    const empty = await client({ name: '' });
    const seenE = record(empty);
    await ack1(empty, 'join', 'names');
    await until(seenE, (x) => x.some((e) => e.text === `guest-${empty.id.slice(0, 6)} joined names`), 'guest join notice');
    guest.disconnect(); empty.disconnect();
  });

  it('uses the token userId over any auth name', async () => {
    const token = signJwt(clientClaims(srv, 'chat', { sub: 'user-42' }), srv.key);
    const s = await client({ name: 'mallory', query: { access_token: token } });
    const seen = record(s);
    await ack1(s, 'join', 'ids');
    await ack1(s, 'message', { room: 'ids', text: 'hello' });
    const l = await until(seen, (x) => x.some((e) => e.name === 'message'), 'own message');
    assert.equal(l.find((e) => e.name === 'message').from, 'user-42');
    assert.ok(l.some((e) => e.text === 'user-42 joined ids'));
    s.disconnect();
  });

  for (const [what, name] of [
    ['too long', 'x'.repeat(33)],
    ['a control character', 'bad\nname'],
    ['blank', '   '],
    ['not a string', 42],
  ]) {
    it(`rejects the CONNECT when the auth name is ${what}`, async () => {
      const m = manager(srv, { hub: 'chat', transports: ['websocket'], forceNew: true });
      const s = m.socket('/', { auth: { name } });
      const [err] = await once(s, 'connect_error', 5000);
      assert.match(err.message, /name/);
      assert.equal(s.connected, false);
    });
  }

  it('accepts a 32-character (code point) name with non-ASCII letters', async () => {
    const name = 'é'.repeat(31) + '🚀';
    const s = await client({ name });
    const seen = record(s);
    await ack1(s, 'join', 'unicode');
    await until(seen, (x) => x.some((e) => e.text === `${name} joined unicode`), 'the join notice');
    s.disconnect();
  });
});

describe('chat handler: validation', () => {
  let s;
  before(async () => {
    s = await client({ name: 'val' });
    assert.equal((await ack1(s, 'join', 'v')).ok, true);
  });
  after(() => s?.disconnect());

  for (const [what, room] of [
    ['empty', ''],
    ['65 characters', 'r'.repeat(65)],
    ['with a control character', 'a\u0001b'],
    ['with a C1 control character', 'a\u0085b'],
    ['a number', 7],
    ['an object', { room: 'x' }],
  ]) {
    it(`refuses a join of a room that is ${what}`, async () => {
      const r = await ack1(s, 'join', room);
      assert.equal(r.ok, false);
      assert.equal(typeof r.error, 'string');
      assert.match(r.error, /room/);
    });
  }

  it('accepts a 64-character room', async () => {
    const room = 'r'.repeat(64);
    assert.deepEqual(await ack1(s, 'join', room), { ok: true, room });
    assert.equal((await ack1(s, 'leave', room)).ok, true);
    assert.deepEqual(await ack1(s, 'join', `${room}r`), { ok: false, error: 'room must be 1-64 characters' });
    assert.deepEqual(await ack1(s, 'join', 'a\tb'), { ok: false, error: 'room must not contain control characters' });
  });

  it('refuses a join without arguments', async () => {
    assert.equal((await ack1(s, 'join')).ok, false);
  });

  for (const [what, msg] of [
    ['empty text', { room: 'v', text: '' }],
    ['2001 characters', { room: 'v', text: 'y'.repeat(2001) }],
    ['a text that is not a string', { room: 'v', text: 5 }],
    ['no text', { room: 'v' }],
    ['no room', { text: 'hi' }],
    ['a bad room', { room: '', text: 'hi' }],
    ['not an object', 'hi'],
  ]) {
    it(`refuses a message with ${what}`, async () => {
      const r = await ack1(s, 'message', msg);
      assert.equal(r.ok, false);
      assert.equal(typeof r.error, 'string');
    });
  }

  it('accepts a 2000-character message and multi-line text', async () => {
    const seen = record(s);
    assert.deepEqual(await ack1(s, 'message', { room: 'v', text: 'z'.repeat(2000) }), { ok: true });
    assert.deepEqual(await ack1(s, 'message', { room: 'v', text: 'two\nlines' }), { ok: true });
    await until(seen, (l) => l.filter((e) => e.name === 'message').length === 2, 'both messages');
    assert.equal(seen.find((e) => e.name === 'message').text.length, 2000);
  });

  it('answers an unknown event with an error ack and stays usable', async () => {
    const r = await ack1(s, 'shout', 'x');
    assert.equal(r.ok, false);
    assert.match(r.error, /unknown event/);
    assert.equal((await ack1(s, 'message', { room: 'v', text: 'ok' })).ok, true);
  });

  it('handles events without an ack (a join without ack still joins)', async () => {
    const t = await client({ name: 'noack' });
    const seen = record(t);
    t.emit('join', 'quiet');
    await until(seen, (l) => l.some((e) => e.text === 'noack joined quiet'), 'the join notice');
    assert.equal((await ack1(t, 'message', { room: 'quiet', text: 'x' })).ok, true);
    t.disconnect();
  });
});

describe('sio-server: in-process handler names', () => {
  it('stops start-up with a clear error when a config names a handler it does not have', async () => {
    await assert.rejects(
      startSioServer({ hubs: { h: { anonymousConnectPolicy: 'allow', inProcessHandler: 'no-such' } } }),
      /cannot start: hub h: no in-process handler named no-such/);
  });
});
