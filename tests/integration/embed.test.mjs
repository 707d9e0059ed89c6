// examples/embed (sio-embed) as a black box: its own HTTP route, its own
// event handler (add -> sum as the ack, /admin rejected) behind a hub it
// runs in-process. SIO_EMBED names the binary: the in-tree build, or the
// one tests/install/build_embed_installed.sh built against the installed
// library.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { io } from 'socket.io-client';

const START_TIMEOUT_MS = 10000;
const STEP_TIMEOUT_MS = 5000;

let server;   // { child, logs, port, origin, exit }
const sockets = [];

/** Starts sio-embed on a free port; resolves once it prints its client url. */
function startEmbed(bin) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs = [];
    const exit = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sio-embed did not start within ${START_TIMEOUT_MS} ms:\n${logs.join('\n')}`));
    }, START_TIMEOUT_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    exit.then((r) => { clearTimeout(timer); reject(new Error(`sio-embed exited ${JSON.stringify(r)}:\n${logs.join('\n')}`)); });
    const onLine = (line) => {
      logs.push(line);
      if (process.env.SIO_TEST_VERBOSE) process.stderr.write(`[sio-embed] ${line}\n`);
      const m = /^client url \(hub embed\): http:\/\/127\.0\.0\.1:(\d+)\/clients\/socketio\/hubs\/embed$/.exec(line);
      if (m) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({ child, logs, port, origin: `http://127.0.0.1:${port}`, exit });
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
  });
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
  if (!server) return;
  server.child.kill('SIGTERM');
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 3000);
  const r = await server.exit;
  clearTimeout(killer);
  const report = server.logs.find((l) => /ERROR: (Address|Leak)Sanitizer|runtime error:/.test(l));
  assert.equal(report, undefined, `sanitizer report: ${report}`);
  assert.deepEqual(r, { code: 0, signal: null }, `sio-embed did not shut down cleanly:\n${server.logs.join('\n')}`);
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
  assert.deepEqual(body, { error: 'not found' });
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
