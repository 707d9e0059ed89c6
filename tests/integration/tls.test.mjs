// TLS: sio-server with a `tls` config (and with --tls-cert/--tls-key) serves
// Socket.IO over https:// and wss:// to the real socket.io-client, answers
// GET /health over https, answers plain HTTP on its TLS port with a plain 400
// and goes on serving, and drops a peer that never finishes the TLS handshake
// after the request timeout (10 s) without disturbing anyone else. The
// certificate is self-signed, made by the openssl CLI in a temp dir.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Manager } from 'socket.io-client';
import { once } from './support/clients.mjs';
import { superviseProcess } from './support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = process.env.SIO_SERVER
  ? path.resolve(process.env.SIO_SERVER)
  : path.join(repo, 'build', 'examples', 'sio-server', 'sio-server');

/** A temp dir with a fresh self-signed cert.pem / key.pem (CN=localhost). */
function makeCert() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-tls-it-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore', timeout: 30000 });
  return { dir, cert, key };
}

const CLIENT_URL = /client url \(hub h\): (https?):\/\/127\.0\.0\.1:(\d+)(\/\S*)/;

/**
 * Spawns sio-server with `args` under superviseProcess. `ready` resolves with
 * its client URL's { scheme, port, path }, or rejects with its output if it
 * exits or stays silent for 10 s. kill() stops it with SIGTERM and fails on an
 * exit other than code 0 or a sanitizer report.
 */
function startServer(args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = superviseProcess(child, 'sio-server', { ready: [CLIENT_URL] });
  const ready = proc.startup.then(([line]) => {
    const m = CLIENT_URL.exec(line);
    return { scheme: m[1], port: Number(m[2]), path: m[3] };
  });
  ready.catch(() => {});
  return { logs: proc.logs, ready, kill: proc.kill, stop: proc.stop };
}

/**
 * For a start-up meant to fail: waits for it to fail by exiting, and resolves
 * with that exit once all its output is read; rejects on a sanitizer report.
 */
async function failedStartExit(p) {
  await assert.rejects(p.ready, /sio-server exited/);
  return p.stop();
}

/** Writes a config with `extra` merged in; returns its path. */
function writeConfig(dir, extra) {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    hubs: { h: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' } },
    ...extra,
  }));
  return file;
}

/** One request through `mod` (http or https) on its own connection. */
function get(mod, port, reqPath, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: '127.0.0.1', port, path: reqPath, agent: false, rejectUnauthorized: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', (e) => { clearTimeout(timer); reject(e); });
      });
    const timer = setTimeout(() => req.destroy(new Error(`no response to ${reqPath} within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end();
  });
}

const managers = new Set();
function closeManagers() {
  for (const m of managers) {
    try { m.engine?.close(); } catch { /* ignore */ }
  }
  managers.clear();
}

/** Connects socket.io-client over https:// (self-signed: not verified). */
async function connect(srv, transports) {
  const m = new Manager(`https://127.0.0.1:${srv.port}`, {
    path: srv.path, transports, reconnection: false, timeout: 5000, rejectUnauthorized: false,
  });
  managers.add(m);
  const s = m.socket('/');
  const failed = once(s, 'connect_error', 5000).then(([e]) => { throw new Error(`connect_error: ${e?.message}`); });
  failed.catch(() => {});
  await Promise.race([once(s, 'connect', 5000), failed]);
  return s;
}

function emitAck(socket, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(3000).emit('e', ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

describe('TLS (tls config)', () => {
  let certs;
  let proc;
  let srv;
  before(async () => {
    certs = makeCert();
    proc = startServer(['--config', writeConfig(certs.dir, { tls: { certFile: certs.cert, keyFile: certs.key } })]);
    srv = await proc.ready;
  });
  after(async () => {
    closeManagers();
    await proc?.kill();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('prints https:// endpoints', () => {
    assert.equal(srv.scheme, 'https');
    assert.ok(proc.logs.some((l) => /connection string: Endpoint=https:\/\/127\.0\.0\.1:\d+;/.test(l)), proc.logs.join('\n'));
  });

  it('GET /health over https answers 200', async () => {
    const r = await get(https, srv.port, '/health');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  it('socket.io-client over wss:// (websocket only) gets its acks', async () => {
    const s = await connect(srv, ['websocket']);
    assert.equal(s.io.engine.transport.name, 'websocket');
    assert.deepEqual(await emitAck(s, 'over', 'wss', 1), ['over', 'wss', 1]);
    const big = 'x'.repeat(200000);
    assert.deepEqual(await emitAck(s, big), [big]);
    s.disconnect();
  });

  it('socket.io-client over https:// polling, then upgraded to wss://, gets its acks', async () => {
    const s = await connect(srv, ['polling', 'websocket']);
    assert.deepEqual(await emitAck(s, 'polling', true), ['polling', true]);
    if (s.io.engine.transport.name !== 'websocket') await once(s.io.engine, 'upgrade', 5000);
    assert.equal(s.io.engine.transport.name, 'websocket');
    assert.deepEqual(await emitAck(s, 'upgraded', Buffer.from([1, 2, 3])), ['upgraded', Buffer.from([1, 2, 3])]);
    s.disconnect();
  });

  it('plain HTTP on the TLS port gets a plain 400, and the server goes on', async () => {
    const r = await get(http, srv.port, '/health');
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /TLS port/);
    assert.equal((await get(https, srv.port, '/health')).status, 200);
  });

  it('a peer that never finishes the handshake is dropped after the request timeout; others are served meanwhile', async () => {
    const stalled = net.connect({ host: '127.0.0.1', port: srv.port });
    await once(stalled, 'connect', 3000);
    stalled.write(Buffer.from([0x16, 0x03, 0x01])); // a record header, then nothing
    const t0 = Date.now();
    const closed = once(stalled, 'close', 20000);
    stalled.on('error', () => {});
    stalled.resume();
    const s = await connect(srv, ['websocket']);
    assert.deepEqual(await emitAck(s, 'meanwhile'), ['meanwhile']);
    assert.equal((await get(https, srv.port, '/health')).status, 200);
    await closed;
    const waited = Date.now() - t0;
    assert.ok(waited >= 9000 && waited < 16000, `dropped after ${waited} ms`);
    // The established WebSocket is still fine.
    assert.deepEqual(await emitAck(s, 'after'), ['after']);
    s.disconnect();
  });
});

describe('TLS (flags and bad files)', () => {
  let certs;
  before(() => { certs = makeCert(); });
  after(() => { if (certs) fs.rmSync(certs.dir, { recursive: true, force: true }); });

  it('--tls-cert/--tls-key serve https', async (t) => {
    const p = startServer(['--config', writeConfig(certs.dir, {}), '--tls-cert', certs.cert, '--tls-key', certs.key]);
    t.after(() => p.kill());
    const s = await p.ready;
    assert.equal(s.scheme, 'https');
    assert.equal((await get(https, s.port, '/health')).status, 200);
  });

  it('an unreadable tls.certFile stops start-up, naming the field', async () => {
    const p = startServer(['--config', writeConfig(certs.dir, { tls: { certFile: path.join(certs.dir, 'missing.pem'), keyFile: certs.key } })]);
    const e = await failedStartExit(p);
    assert.equal(e.code, 1);
    assert.ok(p.logs.some((l) => /tls\.certFile/.test(l) && /missing\.pem/.test(l)), p.logs.join('\n'));
  });

  it('a key that is not a key stops start-up, naming the file', async () => {
    const junk = path.join(certs.dir, 'junk.pem');
    fs.writeFileSync(junk, 'not a key\n');
    const p = startServer(['--config', writeConfig(certs.dir, {}), '--tls-cert', certs.cert, '--tls-key', junk]);
    const e = await failedStartExit(p);
    assert.equal(e.code, 1);
    assert.ok(p.logs.some((l) => /cannot start/.test(l) && /junk\.pem/.test(l)), p.logs.join('\n'));
  });

  it('tls needs both files', async () => {
    const p = startServer(['--config', writeConfig(certs.dir, { tls: { certFile: certs.cert } })]);
    const e = await failedStartExit(p);
    assert.equal(e.code, 1);
    assert.ok(p.logs.some((l) => /tls\.keyFile: is required/.test(l)), p.logs.join('\n'));
  });
});
