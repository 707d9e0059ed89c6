// Client-side helpers shared by the integration tests: bounded waits on events,
// socket.io-client connections that are always closed, raw HTTP requests that
// never reuse connections, and the "server still healthy" probe.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Manager } from 'socket.io-client';

/** Waits for one `event` on an emitter-like object; resolves with the array of its arguments. */
export function once(emitter, event, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    function handler(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, handler);
  });
}

/** Resolves after ms. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A Manager (one Engine.IO connection) on a hub of `srv`. Every manager is
 * tracked so closeAll() can tear it down in after().
 */
const managers = new Set();
export function manager(srv, { hub, transports, ...rest } = {}) {
  const m = new Manager(srv.origin, {
    path: srv.path(hub),
    transports: transports ?? ['polling', 'websocket'],
    reconnection: false,
    timeout: 5000,
    ...rest,
  });
  managers.add(m);
  return m;
}

/** Opens a socket on namespace `nsp` of manager `m` and waits for `connect`. */
export async function connectSocket(m, nsp = '/', opts = {}) {
  const s = m.socket(nsp, opts);
  const connected = once(s, 'connect', 5000);
  const failed = once(s, 'connect_error', 5000).then(([e]) => { throw new Error(`connect_error on ${nsp}: ${e?.message}`); });
  failed.catch(() => {});
  await Promise.race([connected, failed]);
  return s;
}

/** Closes every tracked manager (and so every Engine.IO connection). */
export function closeAll() {
  for (const m of managers) {
    try { m.engine?.close(); } catch { /* ignore */ }
    try { m._close?.(); } catch { /* ignore */ }
  }
  managers.clear();
}

/** Emits with an ack callback; resolves with ALL ack arguments (emitWithAck keeps only the first). */
export function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(3000).emit(event, ...args, (err, ...reply) => {
      if (err) reject(new Error(`no ack for '${event}' within 3000 ms: ${err.message}`));
      else resolve(reply);
    });
  });
}

/** A fresh socket.io-client connects to `/` on srv and gets an ack back; throws otherwise. */
export async function assertHealthy(srv, { hub, transports = ['websocket'] } = {}) {
  const m = manager(srv, { hub, transports, forceNew: true });
  try {
    const s = await connectSocket(m, '/');
    const reply = await ack(s, 'health', 'still', 42);
    assert.deepEqual(reply, ['still', 42]);
    s.disconnect();
  } finally {
    m.engine?.close();
    managers.delete(m);
  }
}

/**
 * One HTTP request on its own TCP connection.
 * Resolves { status, headers, body (string), raw (Buffer) }.
 */
export function request({ port, method = 'GET', path, headers = {}, body, timeoutMs = 5000 }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: raw.toString('utf8'), raw });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${path.slice(0, 120)} got no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Parses a JSON body, with a helpful message on failure. */
export function json(res) {
  try {
    return JSON.parse(res.body);
  } catch {
    throw new Error(`expected a JSON body, got status ${res.status}: ${res.body.slice(0, 200)}`);
  }
}

/** Polling-path query builder: base path + `/?EIO=4&transport=polling` + extra. */
export function eioPath(basePath, query = {}) {
  const q = new URLSearchParams({ EIO: '4', transport: 'polling', ...query });
  return `${basePath}/?${q}`;
}

/**
 * Engine.IO polling handshake. Returns { sid, open (handshake object) }.
 */
export async function pollingHandshake(srv, hub) {
  const res = await request({ port: srv.port, path: eioPath(srv.path(hub)) });
  assert.equal(res.status, 200, `handshake status (body ${res.body})`);
  assert.equal(res.body[0], '0', `handshake body must start with the open packet: ${res.body}`);
  const open = JSON.parse(res.body.slice(1));
  return { sid: open.sid, open };
}

/**
 * Sends raw bytes on a fresh TCP connection and collects everything the server
 * sends back until it closes or timeoutMs passes.
 * options.pauseAfter / pauseMs: after that many bytes, stop writing and wait up
 * to pauseMs for an answer before sending the rest. A server that refuses a
 * large body answers and closes; writing on would turn that answer into a
 * local EPIPE/ECONNRESET before it is read.
 * Resolves { data (Buffer), closed (bool), error (Error|null) }.
 */
export function rawExchange(port, payload, timeoutMs = 5000, { pauseAfter = Infinity, pauseMs = 2000 } = {}) {
  let answered = false;
  let paused = false;
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let error = null;
    const finish = (closed) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed, error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (c) => { answered = true; chunks.push(c); });
    sock.on('error', (e) => { error = e; });
    sock.on('close', () => finish(true));
    sock.on('connect', () => {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'latin1');
      let off = 0;
      const step = () => {
        while (off < buf.length && !answered && !sock.destroyed) {
          if (!paused && off >= pauseAfter) {
            paused = true;
            setTimeout(step, pauseMs);
            return;
          }
          const end = Math.min(off + 65536, buf.length, paused ? Infinity : Math.max(pauseAfter, off + 1));
          const ok = sock.write(buf.subarray(off, end));
          off = end;
          if (!ok) { sock.once('drain', step); return; }
        }
      };
      step();
    });
  });
}
