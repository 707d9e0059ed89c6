// Slow-reader isolation: a WebSocket client that stops reading (its TCP
// window fills) is disconnected once its bounded write queue is full
// (lib/http/ws_connection: 8 MiB, close 1008), while the other clients of
// the namespace keep receiving every broadcast promptly and new clients
// are still served. The slow client is `ws`, paused (its TCP socket too).
// Through the REST API the backend floods the slow connection with large
// messages and sends small numbered probes to the whole namespace (the slow
// client included, so every fan-out meets its stuck queue); the others'
// probe latency then measures isolation, not their own download volume.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, request, ack, sleep } from './support/clients.mjs';

const NORMAL = 4;              // well-behaved socket.io-client sockets
const FLOOD_BYTES = 64 * 1024; // one flood message
const MAX_FLOOD = 1200;        // bound: ~77 MiB, far above queue + kernel buffers
const TEST_MS = 45000;         // everything below stays inside this

/** The value of one Prometheus series, or undefined. */
function sample(text, series) {
  for (const line of text.split('\n'))
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  return undefined;
}

async function metric(srv, series) {
  const r = await request({ port: srv.port, path: '/metrics' });
  return sample(r.body, series);
}

/** A raw Engine.IO/Socket.IO client on `ws` that joins `/` and then can stop reading. */
function slowClient(srv) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${srv.path()}/?EIO=4&transport=websocket`,
      { perMessageDeflate: false });
    const c = { ws, sid: null, messages: 0, closed: null, ended: false };
    const timer = setTimeout(() => reject(new Error('slow client: no CONNECT ack within 5 s')), 5000);
    ws.on('message', (data) => {
      const p = data.toString();
      if (p.startsWith('0')) { c.sid = JSON.parse(p.slice(1)).sid; ws.send('40'); }
      else if (p.startsWith('40')) { clearTimeout(timer); resolve(c); }
      else if (p === '2') ws.send('3');
      else c.messages++;
    });
    ws.on('close', (code) => { c.closed = code; });
    ws.on('error', () => { /* a reset after resuming is an expected end */ });
    ws.once('open', () => ws._socket.on('end', () => { c.ended = true; }));
  });
}

describe('a client that stops reading', () => {
  let srv;
  after(async () => {
    closeAll();
    await srv?.kill();
  });

  it('is disconnected when its queue fills; the others are not slowed down', { timeout: TEST_MS + 15000 }, async (t) => {
    const deadline = Date.now() + TEST_MS;
    srv = await startSioServer({ hubs: ['h'] });
    const svc = new WebPubSubServiceClient(srv.connectionString, 'h', { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    const conns = async () => metric(srv, 'sio_connections{hub="h",transport="websocket"}');

    // Normal clients record every probe's latency and count flood messages
    // (none may reach them: the flood targets the slow connection only).
    const normal = [];
    for (let i = 0; i < NORMAL; i++) {
      const s = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
      const rec = { s, probes: new Map(), dupProbes: 0, flood: 0, disconnected: null };
      s.on('probe', (p) => {
        if (rec.probes.has(p.n)) rec.dupProbes++;
        else rec.probes.set(p.n, Date.now() - p.t);
      });
      s.on('flood', () => { rec.flood++; });
      s.on('disconnect', (why) => { rec.disconnected = why; });
      normal.push(rec);
    }

    const slow = await slowClient(srv);
    assert.equal(await conns(), NORMAL + 1);
    // Stop reading (ws.pause() pauses the TCP socket and keeps ws from
    // resuming it): the kernel buffers, then the server's queue, fill.
    slow.ws.pause();

    // Probes: a small numbered broadcast to the namespace every 50 ms, all along.
    let probes = 0;
    let probing = true;
    const probeErrors = [];
    const prober = (async () => {
      while (probing && Date.now() < deadline) {
        const n = ++probes;
        svc.sendToAll(`42["probe",{"n":${n},"t":${Date.now()}}]`, { contentType: 'text/plain' })
          .catch((e) => probeErrors.push(e.message));
        await sleep(50);
      }
    })();

    // Flood the slow connection until the server drops it.
    const pad = 'x'.repeat(FLOOD_BYTES);
    let flooded = 0;
    let dropped = false;
    while (!dropped && flooded < MAX_FLOOD && Date.now() < deadline - 15000) {
      const batch = [];
      for (let i = 0; i < 8; i++) {
        batch.push(svc.sendToConnection(slow.sid, `42["flood",${++flooded},"${pad}"]`, { contentType: 'text/plain' }));
      }
      await Promise.all(batch);
      if (flooded % 16 === 0) dropped = (await conns()) === NORMAL;
    }
    // The server closes the slow connection (close frame, then at most the
    // 5 s close timeout) while the client still does not read.
    while (!dropped && Date.now() < deadline - 10000) {
      await sleep(200);
      dropped = (await conns()) === NORMAL;
    }
    assert.ok(dropped, `the slow client was not disconnected after ${flooded} flood messages ` +
      `(${flooded * FLOOD_BYTES >> 20} MiB); websocket connections: ${await conns()}`);
    const slowTakenAt = Date.now();
    const closed = (await request({ port: srv.port, path: '/metrics' })).body.split('\n')
      .filter((l) => l.startsWith('sio_connections_closed_total{'));
    t.diagnostic(closed.join('; '));
    // One close, by the write path (the queue), not by the ping timeout.
    assert.equal(closed.reduce((n, l) => n + Number(l.split(' ').pop()), 0), 1, closed.join('; '));
    assert.ok(!closed.some((l) => /ping timeout/.test(l)), closed.join('; '));
    assert.equal(slow.closed, null, 'the slow client cannot have seen a close yet: it reads nothing');

    // A short tail of probes after the drop, then stop and let them arrive.
    await sleep(500);
    probing = false;
    await prober;
    const sentProbes = probes;
    const until = Math.min(deadline, Date.now() + 5000);
    while (Date.now() < until && normal.some((r) => r.probes.size < sentProbes - probeErrors.length)) await sleep(50);

    assert.deepEqual(probeErrors, []);
    for (const [i, r] of normal.entries()) {
      assert.equal(r.disconnected, null, `normal client ${i} was disconnected: ${r.disconnected}`);
      assert.equal(r.dupProbes, 0, `normal client ${i} got duplicate probes`);
      assert.equal(r.probes.size, sentProbes, `normal client ${i} got ${r.probes.size} of ${sentProbes} probes`);
      assert.equal(r.flood, 0, `normal client ${i} got flood messages meant for another connection`);
      const lat = [...r.probes.values()].sort((a, b) => a - b);
      const p99 = lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))];
      assert.ok(p99 < 1000, `normal client ${i}: probe latency p99 ${p99} ms (max ${lat[lat.length - 1]} ms) ` +
        `over ${lat.length} probes`);
    }
    assert.equal(await metric(srv, 'sio_sockets{hub="h",namespace="/"}'), NORMAL, 'the slow socket left the namespace');
    const all = normal.flatMap((r) => [...r.probes.values()]).sort((a, b) => a - b);
    t.diagnostic(`dropped after ${flooded} flood messages of ${FLOOD_BYTES} B; ${sentProbes} probes, latency ` +
      `p50 ${all[Math.floor(all.length / 2)]} ms, p99 ${all[Math.floor(all.length * 0.99)]} ms, max ${all[all.length - 1]} ms`);

    // Resumed, the slow client finds its connection ended by the server and
    // far fewer messages than were sent.
    slow.ws.resume();
    while (slow.closed === null && Date.now() < Math.min(deadline, slowTakenAt + 10000)) await sleep(50);
    assert.notEqual(slow.closed, null, 'the slow client saw no close after resuming');
    assert.ok([1008, 1006].includes(slow.closed), `close code ${slow.closed}`);
    t.diagnostic(`slow client: close ${slow.closed} after reading ${slow.messages} messages`);
    assert.ok(slow.messages < flooded, `slow client read ${slow.messages} messages of ${flooded} floods`);

    // And a fresh client is served as before.
    const fresh = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    assert.deepEqual(await ack(fresh, 'after', 'slow', 1), ['slow', 1]);
    assert.ok(Date.now() < deadline, 'took longer than the test budget');
  });
});
