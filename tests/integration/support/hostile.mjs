// Helpers for the hostile-input catalogue (hostile_*.test.mjs): raw Engine.IO
// sessions on a hand-written WebSocket, assertions on the JSON error bodies
// and on a server-side close, HS256 tokens signed with node's crypto, and a
// parser for the raw HTTP responses that come back on one TCP connection.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { rawWebSocket } from './wsraw.mjs';
import { escapeRe } from './server.mjs';

/** base64url without padding. */
export const b64u = (b) => Buffer.from(b).toString('base64url');

/** A JWT from raw header/payload objects (or strings), HMAC-SHA256 with `key`. */
export function signJwt(payload, key, header = { alg: 'HS256', typ: 'JWT' }) {
  const enc = (v) => b64u(typeof v === 'string' ? v : JSON.stringify(v));
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${crypto.createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Standard client-token claims for `hub` on `srv`, valid now; `extra` overrides. */
export function clientClaims(srv, hub, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { nbf: now, exp: now + 3600, iat: now, aud: `${srv.origin}/clients/socketio/hubs/${hub}`, sub: 'u1', ...extra };
}

/** Asserts status + `application/json` + a {code, message:string} body; returns the body. */
export function assertJsonError(res, status, code) {
  assert.equal(res.status, status, `status (body ${String(res.body).slice(0, 200)})`);
  assert.match(String(res.headers['content-type'] ?? ''), /application\/json/);
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    assert.fail(`not a JSON body: ${String(res.body).slice(0, 200)}`);
  }
  assert.equal(typeof body.message, 'string', `message in ${res.body}`);
  if (code !== undefined) assert.equal(body.code, code, `code in ${res.body}`);
  return body;
}

/**
 * Splits raw bytes from one TCP connection into HTTP responses
 * ({ status, headers (lower-case keys), body }); stops at an incomplete one.
 */
export function parseResponses(buf) {
  const out = [];
  let rest = Buffer.from(buf);
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) return out;
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + len) return out;
    out.push({ status: Number(m[1]), headers, body: rest.subarray(end + 4, end + 4 + len).toString('utf8') });
    rest = rest.subarray(end + 4 + len);
  }
}

/**
 * A raw WebSocket Engine.IO session on `hub`; with `join` it also joins "/"
 * and waits until the server logged the socket as connected.
 * Resolves { ws, sid, socketId }.
 */
export async function wsSession(srv, { hub, join = true } = {}) {
  const ws = await rawWebSocket(srv.port, `${srv.path(hub)}/?EIO=4&transport=websocket`);
  const open = await ws.waitFor((f) => f.opcode === 1 && f.payload[0] === 0x30);
  const sid = JSON.parse(open.payload.toString('utf8').slice(1)).sid;
  let socketId = null;
  if (join) {
    ws.sendText('40');
    const c = await ws.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith('40{'));
    socketId = JSON.parse(c.payload.toString().slice(2)).sid;
    await srv.waitForLog(new RegExp(`socket connected .*socket=${escapeRe(socketId)}(?=\\s|$)`));
  }
  return { ws, sid, socketId };
}

/**
 * The server closed the session of `ws`: a close frame with `code` (or, when
 * code is null, any close) and, for a joined socket, the log line saying it
 * was disconnected for `reason`.
 */
export async function assertServerClosed(srv, { ws, socketId }, { code = 1000, reason = 'parse error', ms = 3000 } = {}) {
  const closed = await ws.waitClosed(ms);
  if (code !== null) {
    assert.equal(closed.closeCode, code, `close code ${closed.closeCode} (tcp closed ${closed.tcpClosed})`);
  }
  if (socketId) {
    await srv.waitForLog(
      new RegExp(`socket disconnected .*socket=${escapeRe(socketId)}(?=\\s).*reason=${escapeRe(reason)}`), ms);
  }
}
