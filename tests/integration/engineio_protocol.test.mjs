// Engine.IO v4 on the wire against sio-server, with raw HTTP and a raw `ws`
// WebSocket: handshake shape, error codes, polling rules, CORS, the upgrade
// sequence by hand and oversized requests. After every test a fresh
// socket.io-client must still connect and get an ack.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  request, json, eioPath, pollingHandshake, rawExchange, assertHealthy, closeAll, sleep, once,
} from './support/clients.mjs';
import { startSioServer } from './support/server.mjs';

const PING_INTERVAL = 5000;
const PING_TIMEOUT = 4000;
const MAX_PAYLOAD = 1000000;
const REFERENCE = process.env.SIO_SERVER === 'reference';
const TEXT = { 'Content-Type': 'text/plain;charset=UTF-8' };

let srv;
before(async () => {
  srv = await startSioServer({
    hubs: ['h'],
    engineio: { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: MAX_PAYLOAD },
  });
});
after(async () => {
  closeAll();
  await srv?.kill();
});
afterEach(async () => {
  await assertHealthy(srv);
});

const get = (query, extra = {}) => request({ port: srv.port, path: eioPath(srv.path(), query), ...extra });
const post = (query, body, extra = {}) =>
  request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), query), headers: TEXT, body, ...extra });
const packets = (body) => body.split('\x1e');

/** Opens a raw ws on the hub; resolves once open. Collects text messages in .texts. */
function openWs(query) {
  const q = new URLSearchParams({ EIO: '4', transport: 'websocket', ...query });
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${srv.path()}/?${q}`);
  ws.texts = [];
  ws.waiters = [];
  ws.on('message', (data, isBinary) => {
    const v = isBinary ? data : data.toString('utf8');
    ws.texts.push(v);
    for (const w of ws.waiters.splice(0)) w();
  });
  ws.on('error', () => {});
  return ws;
}

/** Waits for the next ws message satisfying pred (searching from index `from`). */
async function nextMessage(ws, pred, { from = 0, timeoutMs = 3000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = ws.texts.findIndex((m, idx) => idx >= from && pred(m));
    if (i >= 0) return { msg: ws.texts[i], index: i };
    const left = deadline - Date.now();
    if (left <= 0 || ws.readyState === WebSocket.CLOSED) {
      throw new Error(`no matching ws message; got ${JSON.stringify(ws.texts.map(String))}`);
    }
    await new Promise((r) => {
      const timer = setTimeout(r, Math.min(left, 100));
      ws.waiters.push(() => { clearTimeout(timer); r(); });
    });
  }
}

function assertOpenPacket(open, upgrades) {
  assert.deepEqual(Object.keys(open).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
  assert.equal(typeof open.sid, 'string');
  assert.ok(open.sid.length > 0);
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, PING_INTERVAL);
  assert.equal(open.pingTimeout, PING_TIMEOUT);
  assert.equal(open.maxPayload, MAX_PAYLOAD);
}

describe('handshake', () => {
  it('answers a polling handshake with exactly the five keys and upgrades ["websocket"]', async () => {
    const res = await get({});
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain/);
    assert.equal(res.body[0], '0');
    assertOpenPacket(JSON.parse(res.body.slice(1)), ['websocket']);
  });

  it('accepts the path without trailing slash', async () => {
    const res = await request({ port: srv.port, path: `${srv.path()}?EIO=4&transport=polling` });
    assert.equal(res.status, 200);
    assertOpenPacket(JSON.parse(res.body.slice(1)), ['websocket']);
  });

  it('gives distinct sids to distinct handshakes', async () => {
    const a = await pollingHandshake(srv);
    const b = await pollingHandshake(srv);
    assert.notEqual(a.sid, b.sid);
  });

  it('answers a WebSocket handshake with upgrades []', async () => {
    const ws = openWs({});
    try {
      const { msg } = await nextMessage(ws, (m) => typeof m === 'string' && m[0] === '0');
      assertOpenPacket(JSON.parse(msg.slice(1)), []);
    } finally {
      ws.terminate();
    }
  });
});

describe('error responses', () => {
  const cases = [
    { name: 'missing EIO', path: (p) => `${p}/?transport=polling`, status: 400, code: 5 },
    { name: 'EIO=3', path: (p) => `${p}/?EIO=3&transport=polling`, status: 400, code: 5 },
    { name: 'unknown transport', path: (p) => `${p}/?EIO=4&transport=flash`, status: 400, code: 0 },
    { name: 'missing transport', path: (p) => `${p}/?EIO=4`, status: 400, code: 0 },
    { name: 'unknown sid', path: (p) => `${p}/?EIO=4&transport=polling&sid=doesnotexist123`, status: 400, code: 1 },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.status} code ${c.code}`, async () => {
      const res = await request({ port: srv.port, path: c.path(srv.path()) });
      assert.equal(res.status, c.status, res.body);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      const body = json(res);
      assert.equal(body.code, c.code);
      assert.equal(typeof body.message, 'string');
    });
  }

  it('POST handshake -> 400 code 2', async () => {
    const res = await post({}, '40');
    assert.equal(res.status, 400);
    assert.equal(json(res).code, 2);
  });
});

describe('polling rules', () => {
  it('rejects a second concurrent GET with 400 and completes the first with close', async () => {
    const { sid } = await pollingHandshake(srv);
    const first = get({ sid });
    await sleep(150);
    const second = await get({ sid });
    assert.equal(second.status, 400);
    const firstRes = await first;
    assert.equal(firstRes.status, 200);
    assert.ok(packets(firstRes.body).includes('1'), `first GET body: ${JSON.stringify(firstRes.body)}`);
    assert.equal((await get({ sid })).status, 400, 'session must be closed');
  });

  it('answers an invalid POST payload with 400 and closes the session', async () => {
    const { sid } = await pollingHandshake(srv);
    const res = await post({ sid }, 'abc');
    // The Node reference server (engine.io 6.6) answers this POST 200 and then
    // closes; the contract (protocol.md §1.4) asks for 400.
    if (!REFERENCE) assert.equal(res.status, 400);
    assert.equal((await get({ sid })).status, 400);
  });

  it('closes the session on POST 1', async () => {
    const { sid } = await pollingHandshake(srv);
    const pending = get({ sid });
    await sleep(100);
    const res = await post({ sid }, '1');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
    const p = await pending;
    assert.equal(p.status, 200);
    // engine.io answers the pending GET with a noop, not a close packet.
    assert.equal(p.body, '6', `pending GET body: ${JSON.stringify(p.body)}`);
    assert.equal((await get({ sid })).status, 400);
    assert.equal((await post({ sid }, '40')).status, 400);
  });

  it('delivers CONNECT and an ack over plain polling requests', async () => {
    const { sid } = await pollingHandshake(srv);
    assert.equal((await post({ sid }, '40')).body, 'ok');
    const c = await get({ sid });
    assert.match(c.body, /^40\{"sid":"[^"]+"\}$/);
    assert.equal((await post({ sid }, '4212["a",1]\x1e4213["b"]\x1e4214["c","s",{"k":[null]}]')).body, 'ok');
    let got = [];
    for (let i = 0; i < 5 && got.length < 3; i++) {
      got = got.concat(packets((await get({ sid })).body).filter((x) => x.startsWith('43')));
    }
    // The echo handler acks with the event's arguments, without the event name.
    assert.deepEqual(got, ['4312[1]', '4313[]', '4314["s",{"k":[null]}]']);
    // A binary attachment posted as base64 comes back base64 in the ack.
    assert.equal((await post({ sid }, '451-7["bin",{"_placeholder":true,"num":0}]\x1ebAQIDBA==')).body, 'ok');
    let bin = [];
    for (let i = 0; i < 5 && bin.length < 2; i++) {
      bin = bin.concat(packets((await get({ sid })).body).filter((x) => x.startsWith('46') || x.startsWith('b')));
    }
    assert.deepEqual(bin, ['461-7[{"_placeholder":true,"num":0}]', 'bAQIDBA==']);
    await post({ sid }, '1');
  });

  it('answers a 10 MB POST with 413 when maxPayload is 1 MB', async () => {
    const { sid } = await pollingHandshake(srv);
    const size = 10 * 1024 * 1024;
    const head = `POST ${eioPath(srv.path(), { sid })} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`;
    const body = Buffer.alloc(size, 0x61);
    body[0] = 0x34; // '4': a message packet, only its size is wrong
    // Stop just past maxPayload and give the server time to refuse: a server
    // may answer on Content-Length alone or after reading maxPayload bytes.
    const r = await rawExchange(srv.port, Buffer.concat([Buffer.from(head), body]), 8000,
      { pauseAfter: head.length + MAX_PAYLOAD + 65536, pauseMs: 2000 });
    const text = r.data.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 413 /, `response: ${text.slice(0, 200)} error: ${r.error?.message}`);
  });
});

describe('CORS', () => {
  const ORIGIN = 'http://example.test:3000';

  it('answers an OPTIONS preflight with 204 and Access-Control-Allow-Origin', async () => {
    const res = await request({
      port: srv.port, method: 'OPTIONS', path: eioPath(srv.path()),
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.ok([ORIGIN, '*'].includes(res.headers['access-control-allow-origin']),
      `Access-Control-Allow-Origin: ${res.headers['access-control-allow-origin']}`);
    assert.match(res.headers['access-control-allow-methods'] ?? '', /POST/);
  });

  it('sends Access-Control-Allow-Origin on a polling GET with Origin', async () => {
    const res = await request({ port: srv.port, path: eioPath(srv.path()), headers: { Origin: ORIGIN } });
    assert.equal(res.status, 200);
    assert.ok([ORIGIN, '*'].includes(res.headers['access-control-allow-origin']),
      `Access-Control-Allow-Origin: ${res.headers['access-control-allow-origin']}`);
  });
});

describe('upgrade by hand', () => {
  it('runs 2probe/3probe, flushes the pending GET with 6, then 5 switches to WebSocket', async () => {
    const { sid } = await pollingHandshake(srv);
    assert.equal((await post({ sid }, '40')).body, 'ok');
    assert.match((await get({ sid })).body, /^40\{"sid":"[^"]+"\}$/);
    const pending = get({ sid });
    await sleep(100);
    const ws = openWs({ sid });
    try {
      await once(ws, 'open');
      ws.send('2probe');
      await nextMessage(ws, (m) => m === '3probe');
      const p = await pending;
      assert.equal(p.status, 200);
      assert.deepEqual(packets(p.body), ['6']);
      ws.send('5');
      ws.send('421["ev","over-ws"]');
      await nextMessage(ws, (m) => m === '431["over-ws"]');
      ws.send('42["echo","x",{"y":1}]');
      await nextMessage(ws, (m) => m === '42["echo","x",{"y":1}]');
      // Binary on the upgraded WS: text frame + binary frame, answered as BINARY_ACK.
      ws.send('451-2["bin",{"_placeholder":true,"num":0}]');
      ws.send(Buffer.from([1, 2, 3, 4]));
      const { index } = await nextMessage(ws, (m) => m === '461-2[{"_placeholder":true,"num":0}]');
      const { msg: att } = await nextMessage(ws, (m) => Buffer.isBuffer(m), { from: index + 1 });
      assert.deepEqual([...att], [1, 2, 3, 4]);
      // Polling is dead for this sid now.
      assert.equal((await get({ sid })).status, 400);
      // A second WebSocket for the same sid is refused (400) or closed; the first keeps working.
      const ws2 = openWs({ sid });
      const outcome = await Promise.race([
        once(ws2, 'unexpected-response').then(([, res]) => `http ${res.statusCode}`),
        once(ws2, 'close').then(() => 'closed'),
        sleep(3000).then(() => 'still open'),
      ]);
      ws2.terminate();
      assert.ok(outcome === 'closed' || outcome === 'http 400', `second ws: ${outcome}`);
      ws.send('429["ev","after"]');
      await nextMessage(ws, (m) => m === '439["after"]');
    } finally {
      ws.terminate();
    }
  });

  it('closes the probe WebSocket for an unknown sid with 400 before 101', async () => {
    const ws = openWs({ sid: 'nosuchsid00000000000' });
    const [, res] = await once(ws, 'unexpected-response');
    assert.equal(res.statusCode, 400);
    ws.terminate();
  });
});

describe('oversized requests', () => {
  // A server may answer once it has seen too much and close: pause after 32 KB
  // so that answer is read before a later write fails with EPIPE.
  const EARLY_ANSWER = { pauseAfter: 32 * 1024, pauseMs: 500 };

  it('answers a 100 KB URL with 414 (not a reset)', async () => {
    const longPath = `${srv.path()}/?EIO=4&transport=polling&x=${'a'.repeat(100 * 1024)}`;
    const r = await rawExchange(srv.port, `GET ${longPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      5000, EARLY_ANSWER);
    const text = r.data.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 414 /, `response: ${JSON.stringify(text.slice(0, 200))} error: ${r.error?.message}`);
  });

  it('answers a 100 KB header block with 431 (not a reset)', async () => {
    let headers = '';
    for (let i = 0; i < 100; i++) headers += `X-Filler-${i}: ${'b'.repeat(1024)}\r\n`;
    const r = await rawExchange(srv.port,
      `GET ${eioPath(srv.path())} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`, 5000, EARLY_ANSWER);
    const text = r.data.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 431 /, `response: ${JSON.stringify(text.slice(0, 200))} error: ${r.error?.message}`);
  });
});
