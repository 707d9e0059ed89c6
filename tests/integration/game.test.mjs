// examples/game (sio-game) as a black box, with real socket.io-client
// sockets: the auth stage turns bad tokens away, the game handler keeps
// each player's state (moves acked with the new position), the arena ticker
// broadcasts the state of every player, joins and leaves are announced to
// the others, GET /scores serves the board, and SIGTERM stops it cleanly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { io } from 'socket.io-client';
import { superviseProcess } from './support/server.mjs';

const STEP_TIMEOUT_MS = 5000;
const CLIENT_URL = /^client url \(hub game\): http:\/\/127\.0\.0\.1:(\d+)\/clients\/socketio\/hubs\/game$/;
const TOKEN = 'let-me-in';

let server;   // { origin, kill }
const sockets = [];

before(async () => {
  const bin = process.env.SIO_GAME;
  assert.ok(bin, 'SIO_GAME must name the sio-game binary');
  const child = spawn(bin, ['0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnFailed = new Promise((_, reject) => child.once('error', reject));
  const proc = superviseProcess(child, 'sio-game', { ready: [CLIENT_URL], startTimeoutMs: 10000 });
  const [line] = await Promise.race([proc.startup, spawnFailed]);
  server = { origin: `http://127.0.0.1:${CLIENT_URL.exec(line)[1]}`, kill: proc.kill };
});

after(async () => {
  for (const s of sockets) s.close();
  // SIGTERM: exit code 0 within 20 s and no sanitizer report, or the suite fails.
  await server?.kill();
});

function connect(auth, transports = ['polling', 'websocket']) {
  const s = io(server.origin, {
    path: '/clients/socketio/hubs/game', reconnection: false, forceNew: true,
    timeout: STEP_TIMEOUT_MS, auth, transports,
  });
  sockets.push(s);
  return s;
}

function next(socket, event, accept = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    const on = (...args) => {
      if (!accept(...args)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(args);
    };
    socket.on(event, on);
  });
}

const player = (name, transports) => connect({ token: TOKEN, name }, transports);

test('a wrong or missing token is turned away by the auth stage', async () => {
  const [err] = await next(connect({ token: 'nope', name: 'eve' }), 'connect_error');
  assert.equal(err.message, 'unauthorized');
  const [err2] = await next(connect(undefined), 'connect_error');
  assert.equal(err2.message, 'unauthorized');
  const [err3] = await next(connect({ token: TOKEN }), 'connect_error');
  assert.equal(err3.message, 'a name is required');
});

test('moves are acked with the position, the ticker broadcasts every player, the board follows', async () => {
  const alice = player('alice');
  await next(alice, 'connect');
  const joinedP = next(alice, 'joined');
  const bob = player('bob', ['websocket']);
  await next(bob, 'connect');
  assert.deepEqual(await joinedP, ['bob']);

  assert.deepEqual(await alice.timeout(STEP_TIMEOUT_MS).emitWithAck('move', 3, -1), 3);
  const pos = await new Promise((resolve) => alice.emit('move', 2, 5, (x, y) => resolve([x, y])));
  assert.deepEqual(pos, [5, 4]);
  assert.deepEqual(await bob.timeout(STEP_TIMEOUT_MS).emitWithAck('move', 'a'), { error: 'move takes dx, dy' });

  // Both get a state tick that shows alice's two moves; ticks count up.
  const hasAlice = (tick, state) => state.some((p) => p.name === 'alice' && p.moves === 2);
  const [[t1, s1], [t2]] = await Promise.all([next(bob, 'state', hasAlice), next(alice, 'state', hasAlice)]);
  assert.ok(Number.isInteger(t1) && t1 > 0 && Number.isInteger(t2));
  const a = s1.find((p) => p.name === 'alice');
  assert.deepEqual(a, { name: 'alice', x: 5, y: 4, moves: 2 });
  assert.ok(s1.some((p) => p.name === 'bob' && p.moves === 0));
  const [[t3]] = await Promise.all([next(bob, 'state')]);
  assert.ok(t3 > t1, 'ticks count up');

  const res = await fetch(server.origin + '/scores', { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.equal(res.status, 200);
  const board = await res.json();
  assert.deepEqual(board.find((p) => p.name === 'alice'), { name: 'alice', x: 5, y: 4, moves: 2 });

  // bob leaves: alice is told, and the next ticks no longer carry him.
  const left = next(alice, 'left');
  bob.close();
  assert.deepEqual(await left, ['bob']);
  const [, s4] = await next(alice, 'state', (t, s) => !s.some((p) => p.name === 'bob'));
  assert.ok(s4.some((p) => p.name === 'alice'));
  alice.close();
});

test('a rejected player is never on the board', async () => {
  const [err] = await next(connect({ token: 'nope', name: 'mallory' }), 'connect_error');
  assert.equal(err.message, 'unauthorized');
  const res = await fetch(server.origin + '/scores', { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.ok(!(await res.json()).some((p) => p.name === 'mallory'));
});

test('other routes are 404 JSON, the service routes are still there', async () => {
  const res = await fetch(server.origin + '/nothing', { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).code, 'NotFound');
  const health = await fetch(server.origin + '/health', { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.equal(health.status, 200);
});
