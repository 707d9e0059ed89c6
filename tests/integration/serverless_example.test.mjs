// examples/serverless-node end to end: sio-server with the example's hub
// settings (config.json: tokens required, webhooks to the upstream) and the
// example's upstream.mjs (@azure/web-pubsub-express + @azure/web-pubsub) as a
// child process, driven by socket.io-client through the seed workflow:
// negotiate -> connect with the token -> "joined" notice (connected webhook +
// REST) -> emit with ack (message webhook answer) -> broadcast (REST) ->
// disconnect -> "left" notice (disconnected webhook + REST). Also the
// example's client.mjs and its one command (run.sh --demo).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Manager } from 'socket.io-client';
import { startSioServer, superviseProcess } from './support/server.mjs';
import { once, sleep } from './support/clients.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.resolve(here, '..', '..', 'examples', 'serverless-node');
const exampleConfig = JSON.parse(fs.readFileSync(path.join(example, 'config.json'), 'utf8'));
const SANITIZER_REPORT = /ERROR: (Address|Leak)Sanitizer|runtime error:/;

/** A port that was free a moment ago (the upstream must be named in the service config before it starts). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs a child (bounded), collecting its output lines; resolves {code, lines}. */
function run(cmd, args, { env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    readline.createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, lines }); });
  });
}

/**
 * Starts upstream.mjs; resolves once it listens. kill() stops it with SIGTERM
 * and fails on an exit other than its clean code 0.
 */
async function startUpstream(port, connectionString) {
  const child = spawn(process.execPath, [path.join(example, 'upstream.mjs'),
    '--port', String(port), '--connection-string', connectionString], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = superviseProcess(child, 'upstream', { ready: [/^upstream listening on /] });
  await proc.startup;
  return { logs: proc.logs, kill: proc.kill };
}

/** Waits until pred() holds (bounded). */
async function until(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const jwtPayload = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

describe('examples/serverless-node', { timeout: 120000 }, () => {
  let srv;
  let upstream;
  let upstreamUrl;
  const managers = new Set();

  /** The example's hub settings with the upstream on `port`. */
  function hubsFor(port) {
    const chat = structuredClone(exampleConfig.hubs.chat);
    for (const h of chat.eventHandlers) h.urlTemplate = h.urlTemplate.replace(':7071/', `:${port}/`);
    return { chat };
  }

  before(async () => {
    // A port grabbed between the probe and the upstream's listen: try again.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      srv = await startSioServer({ hubs: hubsFor(port), config: { accessKeys: exampleConfig.accessKeys } });
      try {
        upstream = await startUpstream(port, srv.connectionString);
        upstreamUrl = `http://127.0.0.1:${port}`;
        break;
      } catch (e) {
        await srv.kill();
        if (attempt === 3) throw e;
      }
    }
  });

  after(async () => {
    for (const m of managers) {
      try { m.engine?.close(); } catch { /* already closed */ }
    }
    // Each stop fails the suite on an exit other than code 0 (or a sanitizer
    // report). The service first: its disconnected webhooks go to the upstream.
    try {
      await srv?.kill();
    } finally {
      await upstream?.kill();
    }
  });

  async function negotiate(userId) {
    const res = await fetch(`${upstreamUrl}/negotiate?userId=${encodeURIComponent(userId)}`,
      { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    return res.json();
  }

  /** A socket.io-client socket on `/` with the negotiate result (not yet awaited). */
  function socketFor(neg, { transports = ['polling', 'websocket'] } = {}) {
    const m = new Manager(neg.endpoint, {
      path: neg.path, query: neg.token ? { access_token: neg.token } : {},
      transports, reconnection: false, timeout: 5000,
    });
    managers.add(m);
    return m.socket('/');
  }

  /** Connects and records every `system` notice and `message` it receives. */
  async function join(userId, opts) {
    const s = socketFor(await negotiate(userId), opts);
    s.notices = [];
    s.messages = [];
    s.on('system', (t) => s.notices.push(t));
    s.on('message', (m) => s.messages.push(m));
    const failed = once(s, 'connect_error', 8000).then(([e]) => { throw new Error(`connect_error: ${e.message}`); });
    failed.catch(() => {});
    await Promise.race([once(s, 'connect', 8000), failed]);
    return s;
  }

  it('negotiate returns endpoint, path and a Socket.IO client token', async () => {
    const n = await negotiate('ann');
    assert.deepEqual(Object.keys(n).sort(), ['endpoint', 'path', 'token']);
    assert.equal(n.endpoint, srv.origin);
    assert.equal(n.path, '/clients/socketio/hubs/chat');
    const claims = jwtPayload(n.token);
    assert.equal(claims.aud, `${srv.origin}/clients/socketio/hubs/chat`);
    assert.equal(claims.sub, 'ann');
    const now = Date.now() / 1000;
    assert.ok(claims.exp > now + 3000 && claims.exp < now + 3700, `exp ${claims.exp}`);

    for (const q of ['', '?userId=', `?userId=${'x'.repeat(65)}`, '?userId=a%20b']) {
      const res = await fetch(`${upstreamUrl}/negotiate${q}`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 400, q);
    }
  });

  it('runs the workflow: joined notice, emit with ack, broadcast, left notice', async () => {
    const ann = await join('ann', { transports: ['websocket'] });
    await until(() => ann.notices.includes('ann joined'), 'ann sees her own joined notice');
    // bob stays on long-polling: his emission is literally an HTTP POST.
    const bob = await join('bob', { transports: ['polling'] });
    await until(() => ann.notices.includes('bob joined'), 'ann sees "bob joined"');
    assert.ok(upstream.logs.some((l) => /^connect \S+ \/ accepted as bob$/.test(l)), 'connect webhook');
    assert.ok(upstream.logs.some((l) => l === `connected bob socket ${bob.id} /`), 'connected webhook');

    const reply = await bob.timeout(8000).emitWithAck('message', 'hi ann');
    assert.deepEqual(reply, { ok: true });
    await until(() => ann.messages.length > 0, 'ann gets the broadcast');
    assert.deepEqual(ann.messages, [{ from: 'bob', text: 'hi ann' }]);
    await until(() => bob.messages.length > 0, 'bob gets his own broadcast');
    assert.deepEqual(bob.messages, [{ from: 'bob', text: 'hi ann' }]);

    // Unknown events are acked with an error by the upstream.
    assert.deepEqual(await bob.timeout(8000).emitWithAck('nope', 1), { ok: false, error: 'unknown event nope' });
    assert.deepEqual(await bob.timeout(8000).emitWithAck('message', { html: '<b>' }),
      { ok: false, error: 'message takes a text' });

    const bobId = bob.id;
    bob.disconnect();
    await until(() => ann.notices.includes('bob left'), 'ann sees "bob left"');
    assert.ok(upstream.logs.some((l) => l === `disconnected bob socket ${bobId} /`), 'disconnected webhook');
    assert.deepEqual(ann.notices, ['ann joined', 'bob joined', 'bob left']);
    assert.equal(ann.messages.length, 1, 'refused events were not broadcast');
    ann.disconnect();
  });

  it('refuses a client without a token, and the upstream one without a user', async () => {
    const connects = () => upstream.logs.filter((l) => l.startsWith('connect ')).length;
    const before = connects();
    for (const transports of [['polling'], ['websocket']]) {
      const s = socketFor({ endpoint: srv.origin, path: '/clients/socketio/hubs/chat' }, { transports });
      const [err] = await once(s, 'connect_error', 8000);
      assert.ok(err instanceof Error, String(transports));
      assert.equal(s.connected, false);
    }
    // The handshake itself was refused (401): no connect webhook was sent.
    const res = await fetch(`${srv.origin}/clients/socketio/hubs/chat/?EIO=4&transport=polling`,
      { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 401);
    await sleep(200);
    assert.equal(connects(), before);
    // A valid token without `sub`: the service lets the handshake in, the
    // upstream's connect handler rejects the socket.
    const n = await negotiate('tmp');
    const { WebPubSubServiceClient } = await import('@azure/web-pubsub');
    const svc = new WebPubSubServiceClient(srv.connectionString, 'chat', { allowInsecureConnection: true });
    const { token } = await svc.getClientAccessToken({ clientProtocol: 'socketio' });
    assert.equal(jwtPayload(token).sub, undefined);
    const s = socketFor({ ...n, token });
    const [err] = await once(s, 'connect_error', 8000);
    assert.match(err.message, /a token with a user id is required/);
    // The upstream's log line comes through its stdout pipe, which may lag
    // behind the answer the client already has.
    await until(() => upstream.logs.some((l) => /rejected: no user in token$/.test(l)),
      'the upstream logs its rejection');
  });

  it('the upstream refuses webhooks without the service signature', async () => {
    const res = await fetch(`${upstreamUrl}/api/webpubsub/hubs/chat/connect`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json', 'ce-awpsversion': '1.0', 'ce-specversion': '1.0',
        'ce-type': 'azure.webpubsub.sys.connect', 'ce-hub': 'chat', 'ce-eventName': 'connect',
        'ce-connectionId': 'forged', 'ce-signature': 'sha256=00', 'WebHook-Request-Origin': '127.0.0.1',
      },
      body: JSON.stringify({ claims: { sub: ['mallory'] }, query: {}, headers: {}, subprotocols: [], clientCertificates: [] }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 401);
    assert.ok(!upstream.logs.some((l) => l.includes('mallory')));
  });

  it('client.mjs runs the workflow from the README', async () => {
    const r = await run(process.execPath, [path.join(example, 'client.mjs'), '--upstream', upstreamUrl,
      '--user', 'cli', '--text', 'from client.mjs'], { timeoutMs: 30000 });
    const out = r.lines.join('\n');
    assert.equal(r.code, 0, out);
    for (const re of [/^\[cli\] negotiate +endpoint=http:\/\/127\.0\.0\.1:\d+ path=\/clients\/socketio\/hubs\/chat /m,
      /^\[cli\] connected +socket \S+/m, /^\[cli\] notice +cli joined$/m, /^\[cli\] ack +\{"ok":true\}$/m,
      /^\[cli\] message +cli: from client\.mjs$/m, /^\[cli\] disconnected +io client disconnect$/m]) {
      assert.match(out, re);
    }
  });

  it('run.sh --demo: the one command starts both, runs two clients, stops both', async () => {
    const bin = process.env.SIO_SERVER;
    if (!bin || bin === 'reference') return; // needs the real binary (meson sets SIO_SERVER)
    const [servicePort, upstreamPort] = [await freePort(), await freePort()];
    const r = await run('bash', [path.join(example, 'run.sh'), '--demo'], {
      env: { SIO_SERVER: bin, SERVICE_PORT: String(servicePort), UPSTREAM_PORT: String(upstreamPort) },
      timeoutMs: 60000,
    });
    const out = r.lines.join('\n');
    assert.equal(r.code, 0, out);
    assert.match(out, /^demo: ok$/m);
    for (const line of ['[ann] notice       bob joined', '[ann] message      bob: hi ann',
      '[bob] ack          {"ok":true}', '[ann] notice       bob left']) {
      assert.ok(r.lines.includes(line), `${line}\n--- output ---\n${out}`);
    }
    assert.ok(!SANITIZER_REPORT.test(out), out);
    // Both processes are gone: the ports are free again.
    assert.ok(await canListen(servicePort) && await canListen(upstreamPort), 'ports released');
  });
});

function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
