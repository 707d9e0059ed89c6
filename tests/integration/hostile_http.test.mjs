// Hostile HTTP against sio-server beyond engineio_protocol's oversized cases:
// slowloris headers (408), a 1 MB URL (414), a header-count flood (431),
// garbage pipelined after a valid request, request lines that are not HTTP,
// bodies over maxPayload (declared and chunked, 413), octet-stream POSTs (400)
// and 10,000 simultaneous half-open connections. Every refusal is a JSON body
// on a response that arrives before the close; the server keeps serving fresh
// clients.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import { startSioServer } from './support/server.mjs';
import {
  assertHealthy, closeAll, request, eioPath, pollingHandshake, rawExchange, sleep, manager, connectSocket, ack,
} from './support/clients.mjs';
import { assertJsonError, parseResponses } from './support/hostile.mjs';

const MAX_PAYLOAD = 100000;
const REQUEST_TIMEOUT_MS = 10000; // lib/http/server.hpp request_timeout
let srv;
before(async () => {
  srv = await startSioServer({ hubs: ['h'], engineio: { maxPayload: MAX_PAYLOAD } });
});
after(async () => {
  closeAll();
  await srv?.kill();
});
afterEach(async () => {
  await assertHealthy(srv, { transports: ['websocket'] });
  await assertHealthy(srv, { transports: ['polling'] });
});

const EARLY = { pauseAfter: 32 * 1024, pauseMs: 500 };
const host = 'Host: 127.0.0.1\r\n';

/** Sends raw bytes; returns the parsed responses and whether the server closed. */
async function exchange(bytes, timeoutMs = 5000, opts = {}) {
  const r = await rawExchange(srv.port, bytes, timeoutMs, opts);
  return { ...r, responses: parseResponses(r.data), text: r.data.toString('latin1') };
}

/** The one response of a refused request: status + JSON body, connection closed. */
async function expectRefused(bytes, status, opts = {}) {
  const r = await exchange(bytes, 5000, opts);
  assert.ok(r.responses.length >= 1, `no response: ${JSON.stringify(r.text.slice(0, 200))} ${r.error?.message}`);
  assertJsonError(r.responses[0], status);
  assert.equal(r.responses[0].headers.connection, 'close');
  assert.ok(r.closed, 'the server must close after a refusal');
  return r;
}

describe('request heads', { timeout: 60000 }, () => {
  it('slowloris: headers trickled one byte per 100 ms -> 408 JSON within the request timeout', async () => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    let closed = false;
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => { closed = true; });
    await new Promise((r) => sock.once('connect', r));
    const t0 = performance.now();
    const head = `GET ${eioPath(srv.path())} HTTP/1.1\r\n${host}X-Slow: ${'s'.repeat(400)}\r\n\r\n`;
    try {
      for (let i = 0; i < head.length - 4 && !closed && chunks.length === 0; i++) {
        sock.write(head[i]);
        await sleep(100);
        assert.ok(performance.now() - t0 < REQUEST_TIMEOUT_MS + 5000, 'no answer within the request timeout');
      }
      while (!closed && performance.now() - t0 < REQUEST_TIMEOUT_MS + 5000) await sleep(50);
      const elapsed = performance.now() - t0;
      const [res] = parseResponses(Buffer.concat(chunks));
      assert.ok(res, `no response: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`);
      assertJsonError(res, 408, 'RequestTimeout');
      assert.ok(closed, 'closed after 408');
      assert.ok(elapsed >= REQUEST_TIMEOUT_MS - 500 && elapsed < REQUEST_TIMEOUT_MS + 3000, `answered after ${elapsed} ms`);
    } finally {
      sock.destroy();
    }
  });

  it('1 MB URL -> 414 JSON', async () => {
    const url = `${eioPath(srv.path())}&x=${'u'.repeat(1 << 20)}`;
    await expectRefused(`GET ${url} HTTP/1.1\r\n${host}\r\n`, 414, EARLY);
  });

  it('header count flood (500 tiny headers, well under the byte limit) -> 431 JSON', async () => {
    let headers = '';
    for (let i = 0; i < 500; i++) headers += `x${i}: y\r\n`;
    await expectRefused(`GET ${eioPath(srv.path())} HTTP/1.1\r\n${host}${headers}\r\n`, 431);
  });

  it('one 20 KB header value -> 431 JSON', async () => {
    await expectRefused(`GET ${eioPath(srv.path())} HTTP/1.1\r\n${host}X-Big: ${'v'.repeat(20000)}\r\n\r\n`, 431);
  });

  it('a request line that is not HTTP -> 400 JSON', async () => {
    await expectRefused('HELLO WORLD\r\n\r\n', 400);
  });

  it('TLS ClientHello bytes on the plain port -> 400 JSON', async () => {
    const hello = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000002002f0100', 'hex');
    await expectRefused(hello, 400);
  });

  it('SSH banner -> 400 JSON', async () => {
    await expectRefused('SSH-2.0-OpenSSH_9.2\r\n', 400);
  });

  it('NUL byte inside a header name -> 400 JSON', async () => {
    await expectRefused(`GET ${eioPath(srv.path())} HTTP/1.1\r\n${host}X-\u0000Bad: 1\r\n\r\n`, 400);
  });

  it('a malformed percent escape in the query -> 400 JSON code 3', async () => {
    const res = await request({ port: srv.port, path: `${srv.path()}/?EIO=4&transport=polling&x=%zz` });
    assertJsonError(res, 400, 3);
  });

  it('garbage pipelined after a valid request: the valid one is answered, then 400 JSON and close', async () => {
    const r = await exchange(`GET ${eioPath(srv.path())} HTTP/1.1\r\n${host}\r\n` +
      '\u0001\u0002GARBAGE \u00ff\r\n\r\n');
    assert.equal(r.responses.length, 2, `responses: ${JSON.stringify(r.text.slice(0, 400))}`);
    assert.equal(r.responses[0].status, 200);
    assert.match(r.responses[0].body, /^0\{"sid":"/);
    assertJsonError(r.responses[1], 400);
    assert.ok(r.closed);
  });
});

describe('request bodies', { timeout: 60000 }, () => {
  const postHead = (sid, extra) =>
    `POST ${eioPath(srv.path(), { sid })} HTTP/1.1\r\n${host}Content-Type: text/plain;charset=UTF-8\r\n${extra}\r\n`;

  it('chunked body over maxPayload -> 413 JSON', async () => {
    const { sid } = await pollingHandshake(srv);
    const chunk = `${(16384).toString(16)}\r\n${'3'.repeat(16384)}\r\n`;
    const body = chunk.repeat(Math.ceil((MAX_PAYLOAD * 3) / 16384)) + '0\r\n\r\n';
    await expectRefused(postHead(sid, 'Transfer-Encoding: chunked\r\n') + body, 413, EARLY);
  });

  it('declared Content-Length over maxPayload -> 413 JSON before the body is sent', async () => {
    const { sid } = await pollingHandshake(srv);
    await expectRefused(postHead(sid, `Content-Length: ${MAX_PAYLOAD * 10}\r\n`), 413);
  });

  it('Content-Length of 2^64 - 1 -> 400 or 413 JSON', async () => {
    const { sid } = await pollingHandshake(srv);
    const r = await exchange(postHead(sid, 'Content-Length: 18446744073709551615\r\n'));
    assert.ok(r.responses.length >= 1, r.text);
    assert.ok([400, 413].includes(r.responses[0].status), `status ${r.responses[0].status}`);
    assertJsonError(r.responses[0], r.responses[0].status);
  });

  it('both Content-Length and Transfer-Encoding: chunked -> 400 JSON (request smuggling guard)', async () => {
    const { sid } = await pollingHandshake(srv);
    await expectRefused(postHead(sid, 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n', 400);
  });

  it('a chunk size that is not hex -> 400 JSON', async () => {
    const { sid } = await pollingHandshake(srv);
    await expectRefused(postHead(sid, 'Transfer-Encoding: chunked\r\n') + 'zz\r\n3\r\n0\r\n\r\n', 400);
  });

  it('POST with Content-Type: application/octet-stream -> 400 JSON code 3', async () => {
    const { sid } = await pollingHandshake(srv);
    const res = await request({
      port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }),
      headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.from('40'),
    });
    assertJsonError(res, 400, 3);
  });

  it('an unknown method on a session -> 400 JSON code 2', async () => {
    const { sid } = await pollingHandshake(srv);
    const res = await request({ port: srv.port, method: 'PUT', path: eioPath(srv.path(), { sid }), body: '40' });
    assertJsonError(res, 400, 2);
  });
});

// 10,000 as the catalogue asks: under the server's max_connections (19000);
// this process and the server each need ~10,100 open files (ulimit -n).
describe('10,000 half-open connections', { timeout: 120000 }, () => {
  const COUNT = 10000;
  const sockets = [];
  after(() => { for (const s of sockets) s.destroy(); });

  /** Open file descriptors of the server process (sockets included). */
  const fdCount = () => fs.readdirSync(`/proc/${srv.pid}/fd`).length;

  it('each sends part of a request and stalls; a fresh client still acks within 2 s, and fds recover', async () => {
    for (const pid of ['self', srv.pid]) {
      const limit = Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);
      assert.ok(limit >= COUNT + 500, `open-file limit of ${pid} is ${limit}: raise ulimit -n above ${COUNT + 500}`);
    }
    const baseline = fdCount();
    const partials = [
      () => `GET ${srv.path()}/?EIO=4&transport=pol`,
      () => `POST ${eioPath(srv.path(), { sid: 'x' })} HTTP/1.1\r\nContent-Length: 100\r\n\r\n4`,
      () => `GET ${eioPath(srv.path())} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ab`,
      () => 'G',
    ];
    for (let start = 0; start < COUNT; start += 200) {
      await Promise.all(Array.from({ length: Math.min(200, COUNT - start) }, (_, k) => new Promise((resolve, reject) => {
        const s = net.connect(srv.port, '127.0.0.1', () => {
          s.write(partials[(start + k) % partials.length]());
          resolve();
        });
        s.on('error', () => {});
        s.once('error', reject);
        sockets.push(s);
      })));
    }
    // The clients' connects complete in the kernel's backlog; the server
    // accepts them at its own pace (slower under ASan on a loaded box):
    // wait for it, well inside the 10 s request timeout that ends them.
    let during = fdCount();
    for (const acceptBy = performance.now() + 5000; during < baseline + COUNT * 0.9 && performance.now() < acceptBy;) {
      await sleep(100);
      during = fdCount();
    }
    assert.ok(during >= baseline + COUNT * 0.9, `server holds ${during} fds (baseline ${baseline}): it should have accepted them`);

    const t0 = performance.now();
    const m = manager(srv, { transports: ['websocket'], forceNew: true });
    const s = await connectSocket(m, '/');
    assert.deepEqual(await ack(s, 'half-open', 'still', 1), ['still', 1]);
    const took = performance.now() - t0;
    assert.ok(took < 2000, `connect + ack took ${took} ms with ${COUNT} half-open connections`);
    s.disconnect();
    m.engine?.close();
    assert.equal(srv.exited(), null, 'server must still run');

    // The server's request timeout ends every stalled request on its own
    // (408 or close); its descriptors return to the baseline.
    const deadline = performance.now() + REQUEST_TIMEOUT_MS + 15000;
    let now = fdCount();
    while (now > baseline + 20 && performance.now() < deadline) {
      await sleep(250);
      now = fdCount();
    }
    assert.ok(now <= baseline + 20, `server still holds ${now} fds (baseline ${baseline}) after the request timeout`);
  });
});
