// examples/embed (sio-embed) as a black box: its own HTTP route, its own
// event handler (add -> sum as the ack, /admin rejected) behind a hub it
// runs in-process. SIO_EMBED names the binary: the in-tree build, or the
// one tests/install/build_embed_installed.sh built against the installed
// library.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { io } from 'socket.io-client';
import { superviseProcess } from './support/server.mjs';

const START_TIMEOUT_MS = 10000;
const STEP_TIMEOUT_MS = 5000;
const CLIENT_URL = /^client url \(hub embed\): http:\/\/127\.0\.0\.1:(\d+)\/clients\/socketio\/hubs\/embed$/;

let server;   // { logs, port, origin, kill }
const sockets = [];

/** Starts sio-embed on a free port; resolves once it prints its client url. */
async function startEmbed(bin) {
  const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnFailed = new Promise((_, reject) => child.once('error', reject));
  const proc = superviseProcess(child, 'sio-embed', {
    ready: [CLIENT_URL],
    startTimeoutMs: START_TIMEOUT_MS,
  });
  // A binary that cannot be spawned emits 'error', not a line or an exit.
  const [line] = await Promise.race([proc.startup, spawnFailed]);
  const port = Number(CLIENT_URL.exec(line)[1]);
  return { logs: proc.logs, port, origin: `http://127.0.0.1:${port}`, kill: proc.kill };
}

/** A socket.io-client socket on the embed hub; closed after the tests. */
function connect(nsp = '/', opts = {}) {
  const s = io(server.origin + nsp, {
    path: '/clients/socketio/hubs/embed',
    reconnection: false,
    timeout: STEP_TIMEOUT_MS,
    forceNew: true,
    ...opts,
  });
  sockets.push(s);
  return s;
}

function once(socket, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    socket.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

async function getJson(path) {
  const res = await fetch(server.origin + path, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  const bin = process.env.SIO_EMBED;
  assert.ok(bin, 'SIO_EMBED must name the sio-embed binary');
  server = await startEmbed(bin);
});

after(async () => {
  for (const s of sockets) s.close();
  // SIGTERM: exit code 0 (within 20 s) and no sanitizer report, or the suite fails.
  await server?.kill();
});

test('GET /status answers JSON with the hub name and the bound port', async () => {
  const { status, body } = await getJson('/status');
  assert.equal(status, 200);
  assert.equal(body.hub, 'embed');
  assert.equal(body.port, server.port);
  assert.equal(body.connections, 0);
});

test('other routes get a 404 JSON body', async () => {
  const { status, body } = await getJson('/nothing-here');
  assert.equal(status, 404);
  assert.equal(body.code, 'NotFound');
});

test('add is acked with the sum of its arguments (polling, then upgraded)', async () => {
  const s = connect();
  await once(s, 'connect');
  assert.deepEqual(await s.timeout(STEP_TIMEOUT_MS).emitWithAck('add', 1, 2, 39), 42);
  assert.equal(await s.timeout(STEP_TIMEOUT_MS).emitWithAck('add', 0.5, 2), 2.5);
  assert.equal(await s.timeout(STEP_TIMEOUT_MS).emitWithAck('add'), 0);
  assert.deepEqual(await s.timeout(STEP_TIMEOUT_MS).emitWithAck('add', 1, 'two'),
    { error: 'add takes finite numbers' });
  // Without an ack the sum comes back as an event.
  const sum = once(s, 'sum');
  s.emit('add', 20, 22);
  assert.deepEqual(await sum, [42]);

  const { body } = await getJson('/status');
  assert.equal(body.connections, 1);
  s.close();
});

test('add works over a WebSocket-only connection', async () => {
  const s = connect('/', { transports: ['websocket'] });
  await once(s, 'connect');
  const id = s.id;
  assert.equal(await s.timeout(STEP_TIMEOUT_MS).emitWithAck('add', -5, 3), -2);
  s.close();
  // The handler is told of the socket's start and end (it prints both).
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  const seen = (line) => server.logs.includes(line);
  while (!seen(`disconnected ${id} (client namespace disconnect)`) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(seen(`connected ${id} on /`), server.logs.join('\n'));
  assert.ok(seen(`disconnected ${id} (client namespace disconnect)`), server.logs.join('\n'));
});

test('the /admin namespace is rejected with connect_error and a message', async () => {
  const s = connect('/admin');
  const [err] = await once(s, 'connect_error');
  assert.equal(err.message, 'the /admin namespace is not open to clients');
  assert.equal(s.connected, false);
});
