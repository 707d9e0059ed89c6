// Hostile REST data-plane calls (protocol.md §6, §7) against sio-server:
// OData filters that are unbalanced, nested 10,000 deep, 1 MB long, injection
// attempts, NUL and non-ASCII bytes, on every route that takes a filter;
// send bodies that are empty, 10 MB, not Engine.IO, of an unknown type,
// truncated or shorter than declared; bad group and hub names, path
// traversal, api-versions, oversized and wrong-audience tokens, unknown
// methods. Each gets its exact answer (status, JSON {code, message} and
// x-ms-error-code where the REST layer answers; the HTTP layer's JSON where
// its limits hit first), nothing refused is ever delivered, and afterwards
// a fresh socket.io-client connects, gets an ack and receives a REST send.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startSioServer } from './support/server.mjs';
import {
  closeAll, request, sleep, manager, connectSocket, ack, rawExchange,
} from './support/clients.mjs';
import { assertJsonError, parseResponses, signJwt, b64u } from './support/hostile.mjs';

const MAX_PAYLOAD = 1500000; // so that a 1 MB filter in a body reaches the parser
const API = 'api-version=2024-01-01';
const HUB = 'h';
const roomGroup = (ns, room) => `0~${b64u(ns)}~${b64u(room)}`;

let srv;
let watcher; // a connected socket that must never see a refused send
const seen = [];

before(async () => {
  srv = await startSioServer({ hubs: [HUB], engineio: { maxPayload: MAX_PAYLOAD } });
  watcher = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
  watcher.onAny((...args) => seen.push(args));
});
after(async () => {
  closeAll();
  await srv?.kill();
});

async function until(pred, what, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return;
    await sleep(10);
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}

/** A REST bearer token for `pathAndQuery` (aud = origin + path, as the SDKs sign). */
function token(pathAndQuery, { aud, key } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ aud: aud ?? srv.origin + pathAndQuery, iat: now, exp: now + 300 }, key ?? srv.key);
}

/** `/api/hubs/h/<route>?api-version=...&<query>` */
const api = (route, query = '') => `/api/hubs/${HUB}/${route}?${API}${query ? `&${query}` : ''}`;

/** One signed REST call on its own connection. */
function rest(method, path, { body, contentType = 'text/plain', headers = {}, auth = true } = {}) {
  const h = { ...headers };
  if (contentType) h['Content-Type'] = contentType;
  if (auth) h.Authorization = `Bearer ${token(path)}`;
  return request({ port: srv.port, method, path, headers: h, body, timeoutMs: 10000 });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The REST layer's refusal: status, JSON {code, message} in strict UTF-8,
 * x-ms-error-code = code; `message` a string (exact) or RegExp.
 */
function assertRestError(res, status, code, message) {
  if (res.raw) {
    try { utf8.decode(res.raw); } catch { assert.fail(`body is not UTF-8: ${res.raw.toString('latin1').slice(0, 200)}`); }
  }
  const body = assertJsonError(res, status, code);
  assert.equal(res.headers['x-ms-error-code'], code);
  if (typeof message === 'string') assert.equal(body.message, message);
  else if (message) assert.match(body.message, message);
  return body;
}

/** A send body the watcher must never receive; returns its tag. */
const leak = () => {
  const tag = crypto.randomUUID();
  return { tag, body: `42["leak","${tag}"]` };
};

// After every case: a fresh socket.io-client connects and gets an ack, a
// valid REST send reaches it and the watcher, and no refused send leaked.
afterEach(async () => {
  assert.equal(srv.exited(), null, 'server must still run');
  const m = manager(srv, { transports: ['websocket'], forceNew: true });
  try {
    const s = await connectSocket(m, '/');
    assert.deepEqual(await ack(s, 'health', 'still', 42), ['still', 42]);
    const got = [];
    s.onAny((...a) => got.push(a));
    const mark = crypto.randomUUID();
    const r = await rest('POST', api(':send'), { body: `42["mark","${mark}"]` });
    assert.equal(r.status, 202, r.body);
    await until(() => got.some(([e, t]) => e === 'mark' && t === mark)
      && seen.some(([e, t]) => e === 'mark' && t === mark), 'the REST send after the case');
    const leaked = seen.filter(([e]) => e === 'leak');
    assert.deepEqual(leaked, [], 'a refused send was delivered');
    s.disconnect();
  } finally {
    m.engine?.close();
  }
});

/** Sends a filtered leak to all; asserts the exact filter error. */
async function refusedFilter(filter, pos, reason) {
  const { body } = leak();
  const res = await rest('POST', api(':send', `filter=${encodeURIComponent(filter)}`), { body });
  assertRestError(res, 400, 'InvalidFilter',
    `Invalid syntax for '${filter}': Syntax error at position ${pos} in '${filter}': ${reason} (Parameter 'filter')`);
}

describe('OData filters on sends', { timeout: 60000 }, () => {
  it('unbalanced "(" -> 400 InvalidFilter at the open parenthesis', async () => {
    await refusedFilter("(userId eq 'a'", 0, "unbalanced '('");
  });

  it('unbalanced ")" -> 400 InvalidFilter at the close parenthesis', async () => {
    await refusedFilter("userId eq 'a')", 13, "unbalanced ')'");
  });

  it('10,000-deep nesting in the query -> 414 JSON from the HTTP layer (URL limit)', async () => {
    const f = `${'('.repeat(10000)}true${')'.repeat(10000)}`;
    const res = await rest('POST', api(':send', `filter=${f}`), { body: leak().body });
    assertJsonError(res, 414);
  });

  it('1,500-deep nesting (fits the URL) -> 400 InvalidFilter at depth 64', async () => {
    const f = `${'('.repeat(1500)}true${')'.repeat(1500)}`;
    await refusedFilter(f, 64, 'nesting deeper than 64 levels');
  });

  it('1 MB filter in the query -> 414 JSON', async () => {
    const f = `userId eq '${'x'.repeat(1 << 20)}'`;
    const res = await rest('POST', api(':send', `filter=${encodeURIComponent(f)}`), { body: leak().body });
    assertJsonError(res, 414);
  });

  it("SQL-style injection ' or 1 eq 1 -- -> 400 unterminated literal", async () => {
    await refusedFilter("' or 1 eq 1 --", 0, 'unterminated string literal');
  });

  it("a closed literal followed by -- -> 400 unexpected character", async () => {
    await refusedFilter("userId eq '' or 1 eq 1 --'", 23, "unexpected character '-'");
  });

  it("userId eq 'a' or true is valid OData: 202, delivered to everyone", async () => {
    const tag = crypto.randomUUID();
    const res = await rest('POST', api(':send', `filter=${encodeURIComponent("userId eq 'a' or true")}`),
      { body: `42["ok","${tag}"]` });
    assert.equal(res.status, 202);
    assert.equal(res.body, '');
    await until(() => seen.some(([e, t]) => e === 'ok' && t === tag), 'the filtered send');
  });

  it('an unknown function -> 400 unknown identifier', async () => {
    await refusedFilter("evil(userId) eq 'a'", 0, "unknown identifier 'evil'");
  });

  it('an unknown field -> 400 unknown identifier', async () => {
    await refusedFilter("password eq 'x'", 0, "unknown identifier 'password'");
  });

  it("doubled quotes are data: userId eq 'a'' or ''1'' eq ''1' -> 202, nobody", async () => {
    const tag = crypto.randomUUID();
    const res = await rest('POST', api(':send', `filter=${encodeURIComponent("userId eq 'a'' or ''1'' eq ''1'")}`),
      { body: `42["leak","${tag}"]` });
    assert.equal(res.status, 202);
  });

  it("a backslash is not an escape: userId eq 'a\\' or true or \\'' -> 400", async () => {
    await refusedFilter("userId eq 'a\\' or true or \\''", 26, "unexpected character '\\'");
  });

  it('a non-ASCII literal is data: 202, nobody', async () => {
    const res = await rest('POST', api(':send', `filter=${encodeURIComponent("userId eq 'é日本'")}`), { body: leak().body });
    assert.equal(res.status, 202);
  });

  it('a non-ASCII character outside a literal -> 400 whose JSON body is valid UTF-8', async () => {
    const { body } = leak();
    const filter = 'userId eq é';
    const res = await rest('POST', api(':send', `filter=${encodeURIComponent(filter)}`), { body });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter}': Syntax error at position 10 in '${filter}': unexpected character 'é' (Parameter 'filter')`);
  });

  it('a byte that is not UTF-8 (%FF) -> 400 whose JSON body is still valid UTF-8', async () => {
    const res = await rest('POST', api(':send', 'filter=userId%20eq%20%FF'), { body: leak().body });
    const body = assertRestError(res, 400, 'InvalidFilter');
    assert.match(body.message, /^Invalid syntax for 'userId eq \uFFFD': Syntax error at position 10 /);
  });

  it('NUL outside a literal -> 400 (escaped as \\u0000 in the JSON)', async () => {
    const res = await rest('POST', api(':send', "filter=userId%00eq%20'a'"), { body: leak().body });
    assertRestError(res, 400, 'InvalidFilter',
      "Invalid syntax for 'userId\u0000eq 'a'': Syntax error at position 6 in 'userId\u0000eq 'a'': unexpected character '\u0000' (Parameter 'filter')");
    assert.match(res.body, /\\u0000/);
  });

  it('NUL inside a literal is data -> 202, nobody', async () => {
    const res = await rest('POST', api(':send', "filter=userId%20eq%20'a%00'"), { body: leak().body });
    assert.equal(res.status, 202);
  });

  it('a non-boolean filter -> 400 type error', async () => {
    await refusedFilter('userId', 0, "Type 'string', expect 'bool'");
  });

  it('an integer literal beyond int64 -> 400 out of range', async () => {
    await refusedFilter('length(userId) gt 99999999999999999999', 18, 'integer literal out of range');
  });

  it('an invalid filter on a group send -> 400, nothing sent to the group', async () => {
    const filter = "'g' in groups and";
    const res = await rest('POST', `/api/hubs/${HUB}/groups/${encodeURIComponent(roomGroup('/', watcher.id))}/:send?${API}&filter=${encodeURIComponent(filter)}`,
      { body: leak().body });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter}': Syntax error at position 17 in '${filter}': unexpected end of filter (Parameter 'filter')`);
  });

  it('an invalid filter on a user send -> 400', async () => {
    const filter = 'not';
    const res = await rest('POST', `/api/hubs/${HUB}/users/u1/:send?${API}&filter=${filter}`, { body: leak().body });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter}': Syntax error at position 3 in '${filter}': unexpected end of filter (Parameter 'filter')`);
  });
});

describe('OData filters in :addToGroups / :removeFromGroups bodies', { timeout: 60000 }, () => {
  const groupExists = async (g) => (await rest('HEAD', `/api/hubs/${HUB}/groups/${encodeURIComponent(g)}?${API}`)).status;

  it("an injection attempt in :addToGroups is one string literal -> 400 not a bool, nobody joins", async () => {
    const g = roomGroup('/', `r-${crypto.randomUUID()}`);
    const filter = "') or true or ('";
    const res = await rest('POST', api(':addToGroups'), { contentType: 'application/json', body: JSON.stringify({ groups: [g], filter }) });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter}': Syntax error at position 0 in '${filter}': Type 'string', expect 'bool' (Parameter 'filter')`);
    assert.equal(await groupExists(g), 404);
  });

  it('10,000-deep nesting in :addToGroups -> 400 filter too long, nobody joins', async () => {
    const g = roomGroup('/', `r-${crypto.randomUUID()}`);
    const filter = `${'('.repeat(10000)}true${')'.repeat(10000)}`;
    const res = await rest('POST', api(':addToGroups'), { contentType: 'application/json', body: JSON.stringify({ groups: [g], filter }) });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter.slice(0, 4096)}...': filter too long: 20004 characters, limit 4096 (Parameter 'filter')`);
    assert.equal(await groupExists(g), 404);
  });

  it('a 1 MB filter in :addToGroups -> 400 filter too long', async () => {
    const g = roomGroup('/', `r-${crypto.randomUUID()}`);
    const filter = `userId eq '${'x'.repeat(1 << 20)}'`;
    const res = await rest('POST', api(':addToGroups'), { contentType: 'application/json', body: JSON.stringify({ groups: [g], filter }) });
    // Echoed only by its first 4096 characters: no 1 MB answer.
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter.slice(0, 4096)}...': filter too long: 1048588 characters, limit 4096 (Parameter 'filter')`);
    assert.equal(await groupExists(g), 404);
  });

  it('an invalid filter in :removeFromGroups -> 400, nobody leaves', async () => {
    const own = roomGroup('/', watcher.id);
    const filter = "userId eq 'a' or";
    const res = await rest('POST', api(':removeFromGroups'), { contentType: 'application/json', body: JSON.stringify({ groups: [own], filter }) });
    assertRestError(res, 400, 'InvalidFilter',
      `Invalid syntax for '${filter}': Syntax error at position 16 in '${filter}': unexpected end of filter (Parameter 'filter')`);
    assert.equal(await groupExists(own), 200);
  });

  it('a filter that is not a string -> 400 InvalidBody', async () => {
    const res = await rest('POST', api(':addToGroups'), { contentType: 'application/json', body: '{"groups":["g"],"filter":{"$ne":1}}' });
    assertRestError(res, 400, 'InvalidBody', 'filter must be a string');
  });
});

describe('send and membership bodies', { timeout: 60000 }, () => {
  it('an empty body on :send -> 400 InvalidPayload', async () => {
    const res = await rest('POST', api(':send'), { body: '' });
    assertRestError(res, 400, 'InvalidPayload', 'empty message');
  });

  it('a 10 MB body -> 413 JSON before the body is read', async () => {
    const path = api(':send');
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token(path)}\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${10 << 20}\r\n\r\n`;
    const body = Buffer.alloc(10 << 20, 'a');
    const r = await rawExchange(srv.port, Buffer.concat([Buffer.from(head), body]), 5000, { pauseAfter: head.length, pauseMs: 1000 });
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)}`);
    assertJsonError(res, 413);
    assert.equal(res.headers.connection, 'close');
    assert.ok(r.closed);
  });

  it('a 10 MB chunked body -> 413 JSON', async () => {
    const path = api(':send');
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token(path)}\r\n` +
      'Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
    const body = chunk.repeat(160) + '0\r\n\r\n';
    const r = await rawExchange(srv.port, head + body, 8000, { pauseAfter: 2 << 20, pauseMs: 1000 });
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)}`);
    assertJsonError(res, 413);
  });

  it('text that is not an Engine.IO payload -> 400 InvalidPayload', async () => {
    const res = await rest('POST', api(':send'), { body: 'zzz' });
    assertRestError(res, 400, 'InvalidPayload', /^not an Engine.IO payload: /);
  });

  it('an unterminated Socket.IO event -> 400 InvalidPayload packet 1', async () => {
    const res = await rest('POST', api(':send'), { body: '42["leak",' });
    assertRestError(res, 400, 'InvalidPayload', /^packet 1: /);
  });

  it('a valid event followed by a CONNECT packet -> 400, and the valid one is not sent either', async () => {
    const { body } = leak();
    const res = await rest('POST', api(':send'), { body: `${body}\x1e40` });
    assertRestError(res, 400, 'InvalidPayload',
      'packet 2: only EVENT, BINARY_EVENT and DISCONNECT packets can be sent to clients');
  });

  it('an Engine.IO ping in a send -> 400 only message packets', async () => {
    const res = await rest('POST', api(':send'), { body: '2' });
    assertRestError(res, 400, 'InvalidPayload', 'packet 1: only message packets can be sent');
  });

  it('a binary event without its attachment -> 400', async () => {
    const res = await rest('POST', api(':send'), { body: '451-["leak",{"_placeholder":true,"num":0}]' });
    assertRestError(res, 400, 'InvalidPayload', 'a binary packet lacks attachments');
  });

  it('application/json that is not JSON -> 400 InvalidPayload', async () => {
    const res = await rest('POST', api(':send'), { contentType: 'application/json', body: '{"not json' });
    assertRestError(res, 400, 'InvalidPayload',
      'a JSON body must be a string holding an Engine.IO payload; send text/plain');
  });

  it('a JSON object where :addToGroups needs {groups, filter} -> 400 InvalidBody', async () => {
    for (const body of ['not json', '[1,2]', '{"groups":"g"}', `${'['.repeat(10000)}${']'.repeat(10000)}`]) {
      const res = await rest('POST', api(':addToGroups'), { contentType: 'application/json', body });
      assertRestError(res, 400, 'InvalidBody', body === '{"groups":"g"}' ? 'groups must be an array'
        : 'body must be a JSON object {groups, filter}');
    }
  });

  it('an unknown content type -> 415 UnsupportedMediaType', async () => {
    const res = await rest('POST', api(':send'), { contentType: 'image/png', body: leak().body });
    assertRestError(res, 415, 'UnsupportedMediaType', "unsupported content type 'image/png' (use text/plain)");
  });

  /** Writes `bytes`, half-closes, collects the answer (none expected). */
  function halfClose(bytes, timeoutMs = 5000) {
    return new Promise((resolve) => {
      const sock = net.connect(srv.port, '127.0.0.1');
      const chunks = [];
      const t0 = Date.now();
      const timer = setTimeout(() => { sock.destroy(); resolve({ data: Buffer.concat(chunks), closed: false }); }, timeoutMs);
      sock.on('data', (c) => chunks.push(c));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve({ data: Buffer.concat(chunks), closed: true, ms: Date.now() - t0 });
      });
      sock.on('connect', () => sock.end(bytes));
    });
  }

  it('a truncated chunked body, then EOF -> closed without an answer, nothing sent', async () => {
    const path = api(':send');
    const { body } = leak();
    const r = await halfClose(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token(path)}\r\n` +
      `Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body.slice(0, 10)}`);
    assert.ok(r.closed, 'the server must close');
    assert.equal(r.data.length, 0, `unexpected answer: ${r.data.toString('latin1')}`);
  });

  it('a body shorter than its Content-Length, then EOF -> closed without an answer, nothing sent', async () => {
    const path = api(':send');
    const { body } = leak();
    const r = await halfClose(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token(path)}\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`);
    assert.ok(r.closed, 'the server must close');
    assert.equal(r.data.length, 0, `unexpected answer: ${r.data.toString('latin1')}`);
  });

  it('a body longer than its Content-Length -> 400 for the cut payload, then 400 JSON and close for the rest', async () => {
    const path = api(':send');
    const { body } = leak();
    const r = await rawExchange(srv.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token(path)}\r\n` +
      `Content-Type: text/plain\r\nContent-Length: 8\r\n\r\n${body}`);
    const responses = parseResponses(r.data);
    assert.equal(responses.length, 2, r.data.toString('latin1'));
    assertRestError(responses[0], 400, 'InvalidPayload', /^packet 1: /);
    assertJsonError(responses[1], 400, 'BadRequest');
    assert.ok(r.closed);
  });
});

describe('group, hub and path names', { timeout: 60000 }, () => {
  const groupSend = (encodedGroup, body = leak().body) =>
    rest('POST', `/api/hubs/${HUB}/groups/${encodedGroup}/:send?${API}`, { body });

  it('an empty group segment -> 404 NotFound', async () => {
    const res = await groupSend('');
    assertRestError(res, 404, 'NotFound', `no such operation: POST /api/hubs/${HUB}/groups//:send`);
  });

  it('a whitespace-only group -> 400 InvalidGroup', async () => {
    assertRestError(await groupSend('%20%09'), 400, 'InvalidGroup', 'invalid group name');
  });

  it('a 1025-character group -> 400 InvalidGroup; 1024 characters -> 202', async () => {
    assertRestError(await groupSend('g'.repeat(1025)), 400, 'InvalidGroup', 'invalid group name');
    assert.equal((await groupSend('g'.repeat(1024))).status, 202);
  });

  it('control characters in a group -> 202 to an empty group (no Socket.IO socket is in it)', async () => {
    assert.equal((await groupSend('%00%01%1b')).status, 202);
  });

  it('a group that is not 0~ns~room -> 202 to nobody; a namespace group with a bad room -> 202 to nobody', async () => {
    assert.equal((await groupSend('not-a-socketio-group')).status, 202);
    assert.equal((await groupSend('0~Lw~!!!')).status, 202);
    assert.equal((await groupSend(encodeURIComponent('0~~~'))).status, 202);
  });

  it('a connection put in a group that is not 0~ns~room gets its sends, and leaves it (200, 202, 204)', async () => {
    const eid = watcher.io.engine.id;
    const g = `plain-${crypto.randomUUID()}`;
    assert.equal((await rest('PUT', `/api/hubs/${HUB}/groups/${g}/connections/${eid}?${API}`)).status, 200);
    const tag = crypto.randomUUID();
    assert.equal((await groupSend(g, `42["ok","${tag}"]`)).status, 202);
    await until(() => seen.some(([e, t]) => e === 'ok' && t === tag), 'the group send');
    assert.equal((await rest('DELETE', `/api/hubs/${HUB}/groups/${g}/connections/${eid}?${API}`)).status, 204);
    assert.equal((await rest('HEAD', `/api/hubs/${HUB}/groups/${g}?${API}`)).status, 404);
  });

  it('a whitespace-only or 1025-character group on /users/{user}/groups/{group} -> 400 InvalidGroup', async () => {
    for (const method of ['PUT', 'DELETE']) {
      for (const g of ['%20%20', 'g'.repeat(1025)]) {
        const res = await rest(method, `/api/hubs/${HUB}/users/u1/groups/${g}?${API}`);
        assertRestError(res, 400, 'InvalidGroup', 'invalid group name');
      }
    }
    assert.equal((await rest('PUT', `/api/hubs/${HUB}/users/u1/groups/${'g'.repeat(1024)}?${API}`)).status, 200);
    assert.equal((await rest('DELETE', `/api/hubs/${HUB}/users/u1/groups/${'g'.repeat(1024)}?${API}`)).status, 204);
  });

  it('malformed percent-encoding in the path -> 400 InvalidPath', async () => {
    assertRestError(await groupSend('%zz'), 400, 'InvalidPath', 'malformed percent-encoding');
  });

  it('path traversal /api/hubs/../.. -> 404 HubNotFound, and %2E%2E likewise', async () => {
    const r1 = await rest('POST', `/api/hubs/../../:send?${API}`, { body: leak().body });
    assertRestError(r1, 404, 'HubNotFound', "no hub named '..'");
    const r2 = await rest('POST', `/api/hubs/%2E%2E/${HUB}/:send?${API}`, { body: leak().body });
    assertRestError(r2, 404, 'HubNotFound', "no hub named '..'");
  });

  it('/api/../clients/... is not routed to the client endpoint -> 404 NotFound', async () => {
    const res = await rest('GET', `/api/../clients/socketio/hubs/${HUB}/?EIO=4&transport=polling`);
    assertRestError(res, 404, 'NotFound', 'no such operation');
  });

  it('a hub name with an encoded slash -> 404 HubNotFound', async () => {
    const res = await rest('POST', `/api/hubs/${HUB}%2Fx/:send?${API}`, { body: leak().body });
    assertRestError(res, 404, 'HubNotFound', `no hub named '${HUB}/x'`);
  });

  it('a hub name that is not UTF-8 (%FF) -> 404 HubNotFound, the JSON body still UTF-8', async () => {
    const res = await rest('POST', `/api/hubs/%FF%C3/:send?${API}`, { body: leak().body });
    assertRestError(res, 404, 'HubNotFound', "no hub named '\uFFFD\uFFFD'");
  });

  it('raw non-ASCII bytes in the request path -> a UTF-8 JSON answer', async () => {
    const path = `/api/hubs/${HUB}/\u00ff\u00e9/:send?${API}`; // sent as latin1 bytes FF E9
    const r = await rawExchange(srv.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Authorization: Bearer ${token(path)}\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\n42["x"]`);
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)}`);
    const body = r.data.subarray(r.data.indexOf('\r\n\r\n') + 4);
    assert.doesNotThrow(() => utf8.decode(body), 'the body must be UTF-8');
    assertRestError(res, 401, 'Unauthorized', 'token audience does not match the request URL');
  });

  it('an encoded colon in the action is the action (%3Asend -> 202)', async () => {
    const tag = crypto.randomUUID();
    const res = await rest('POST', `/api/hubs/${HUB}/%3Asend?${API}`, { body: `42["ok","${tag}"]` });
    assert.equal(res.status, 202);
    await until(() => seen.some(([e, t]) => e === 'ok' && t === tag), 'the send');
  });
});

describe('api-version, tokens and methods', { timeout: 60000 }, () => {
  it('an unknown api-version -> 400 UnsupportedApiVersion', async () => {
    const res = await rest('POST', `/api/hubs/${HUB}/:send?api-version=1999-01-01`, { body: leak().body });
    assertRestError(res, 400, 'UnsupportedApiVersion', "api-version '1999-01-01' is not supported");
  });

  it('an empty api-version -> 400 UnsupportedApiVersion', async () => {
    const res = await rest('POST', `/api/hubs/${HUB}/:send?api-version=`, { body: leak().body });
    assertRestError(res, 400, 'UnsupportedApiVersion', "api-version '' is not supported");
  });

  it('a missing api-version defaults (protocol.md §6.3): 202', async () => {
    const tag = crypto.randomUUID();
    const res = await rest('POST', `/api/hubs/${HUB}/:send`, { body: `42["ok","${tag}"]` });
    assert.equal(res.status, 202);
    await until(() => seen.some(([e, t]) => e === 'ok' && t === tag), 'the send');
  });

  it('a malformed query string -> 400 InvalidQuery', async () => {
    const res = await rest('POST', `/api/hubs/${HUB}/:send?${API}&x=%zz`, { body: leak().body });
    assertRestError(res, 400, 'InvalidQuery', 'malformed query string');
  });

  it('a 100 KB bearer token -> 431 JSON from the HTTP layer', async () => {
    const res = await rest('POST', api(':send'), { auth: false, headers: { Authorization: `Bearer ${'a'.repeat(100 * 1024)}` }, body: leak().body });
    assertJsonError(res, 431);
  });

  it('a 12 KB bearer token (under the header limit) -> 401 token too long', async () => {
    const res = await rest('POST', api(':send'), { auth: false, headers: { Authorization: `Bearer ${'a'.repeat(12 * 1024)}` }, body: leak().body });
    assertRestError(res, 401, 'Unauthorized', 'token too long');
  });

  it('a token for another URL (aud mismatch) -> 401', async () => {
    const path = api(':send');
    for (const aud of [`${srv.origin}/api/hubs/other/:send`, `${srv.origin}/api/hubs/${HUB}/users/u1/:send`,
      `http://evil.example/api/hubs/${HUB}/:send`, `${srv.origin}/api/hubs/${HUB}/:send/..`]) {
      const res = await rest('POST', path, { auth: false, headers: { Authorization: `Bearer ${token(path, { aud })}` }, body: leak().body });
      assertRestError(res, 401, 'Unauthorized', 'token audience does not match the request URL');
    }
  });

  it('a token signed with another key, and a Basic scheme -> 401', async () => {
    const path = api(':send');
    const r1 = await rest('POST', path, { auth: false, headers: { Authorization: `Bearer ${token(path, { key: 'not-the-key' })}` }, body: leak().body });
    assertRestError(r1, 401, 'Unauthorized');
    const r2 = await rest('POST', path, { auth: false, headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, body: leak().body });
    assertRestError(r2, 401, 'Unauthorized', 'missing bearer token');
  });

  it('PATCH, PUT, GET and OPTIONS on :send -> 404 NotFound', async () => {
    for (const method of ['PATCH', 'PUT', 'GET', 'OPTIONS']) {
      const res = await rest(method, api(':send'), { body: ['GET', 'OPTIONS'].includes(method) ? undefined : leak().body });
      assertRestError(res, 404, 'NotFound', `no such operation: ${method} /api/hubs/${HUB}/:send`);
    }
  });

  it('bad numbers: minutesToExpire=-1, maxpagesize=0 -> 400 InvalidArgument', async () => {
    const r1 = await rest('POST', api(':generateToken', 'minutesToExpire=-1'));
    assertRestError(r1, 400, 'InvalidArgument', 'minutesToExpire must be a whole number >= 1');
    const r2 = await rest('GET', `/api/hubs/${HUB}/groups/g/connections?${API}&maxpagesize=0`);
    assertRestError(r2, 400, 'InvalidArgument', 'maxpagesize must be between 1 and 200');
  });
});
