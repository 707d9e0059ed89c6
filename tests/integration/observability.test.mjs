// GET /health and the Prometheus metrics at GET /metrics reflect what the
// service is doing: connections by transport, sockets per namespace, events,
// REST calls by status, closes by reason.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import net from 'node:net';
import { startSioServer } from './support/server.mjs';
import { manager, connectSocket, closeAll, request, json, ack, sleep } from './support/clients.mjs';

/** The value of one series in Prometheus text, or undefined. */
function sample(text, series) {
  for (const line of text.split('\n'))
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  return undefined;
}

describe('health and metrics', () => {
  let srv;
  before(async () => { srv = await startSioServer({ hubs: ['h'] }); });
  after(async () => { closeAll(); await srv?.kill(); });

  it('GET /health answers 200 JSON', async () => {
    const r = await request({ port: srv.port, path: '/health' });
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { status: 'ok' });
  });

  it('GET /metrics counts connections, sockets, events, REST calls and closes', async () => {
    const ws = await connectSocket(manager(srv, { transports: ['websocket'] }), '/');
    const poll = await connectSocket(manager(srv, { transports: ['polling'] }), '/');
    await connectSocket(poll.io, '/chat');
    await ack(ws, 'e', 1);
    await ack(poll, 'e', 2);
    const svc = new WebPubSubServiceClient(srv.connectionString, 'h', { allowInsecureConnection: true });
    await svc.sendToAll('42["x"]', { contentType: 'text/plain' });
    await assert.rejects(svc.sendToAll('bad', { contentType: 'text/plain' }));
    await sleep(100);
    let r = await request({ port: srv.port, path: '/metrics' });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    let text = r.body;
    assert.equal(sample(text, 'sio_connections{hub="h",transport="websocket"}'), 1);
    assert.equal(sample(text, 'sio_connections{hub="h",transport="polling"}'), 1);
    assert.equal(sample(text, 'sio_sockets{hub="h",namespace="/"}'), 2);
    assert.equal(sample(text, 'sio_sockets{hub="h",namespace="/chat"}'), 1);
    assert.equal(sample(text, 'sio_events_received_total{hub="h"}'), 2);
    assert.equal(sample(text, 'sio_rest_requests_total{status="202"}'), 1);
    assert.equal(sample(text, 'sio_rest_requests_total{status="400"}'), 1);
    assert.ok(sample(text, 'sio_packets_sent_total{hub="h"}') >= 6);
    // One info line per connection lifecycle event.
    const sid = ws.io.engine.id;
    await srv.waitForLog(new RegExp(`\\[info\\] connection opened hub=h connection=${sid} transport=websocket`));
    ws.io.engine.close();
    await srv.waitForLog(new RegExp(`\\[info\\] connection closed hub=h connection=${sid} reason=transport close`));
    await sleep(200);
    text = (await request({ port: srv.port, path: '/metrics' })).body;
    assert.equal(sample(text, 'sio_connections{hub="h",transport="websocket"}'), 0);
    assert.equal(sample(text, 'sio_sockets{hub="h",namespace="/"}'), 1);
    assert.equal(sample(text, 'sio_connections_closed_total{hub="h",reason="transport close"}'), 1);
  });

  it('GET /metrics counts refused requests and rejected sockets by reason', async () => {
    const before = (await request({ port: srv.port, path: '/metrics' })).body;
    const unknownSid = await request({ port: srv.port, path: `${srv.path('h')}/?EIO=4&transport=polling&sid=nosuchsid` });
    assert.equal(unknownSid.status, 400);
    // The echo handler turns away a CONNECT whose auth says deny.
    const s = manager(srv, { transports: ['websocket'] }).socket('/', { auth: { deny: 'not today' } });
    const err = await new Promise((resolve) => s.once('connect_error', resolve));
    assert.equal(err.message, 'not today');
    await sleep(100);
    const text = (await request({ port: srv.port, path: '/metrics' })).body;
    const delta = (series) => (sample(text, series) ?? 0) - (sample(before, series) ?? 0);
    assert.equal(delta('sio_engineio_rejected_total{hub="h",status="400"}'), 1);
    assert.equal(delta('sio_rejected_total{hub="h",reason="connect_rejected"}'), 1);
  });
});

describe('configured limits', { timeout: 60000 }, () => {
  let srv;
  const raw = [];
  before(async () => {
    srv = await startSioServer({ hubs: ['h'], config: { limits: { maxConnections: 4, maxNamespacesPerConnection: 1 } } });
  });
  after(async () => {
    for (const s of raw) s.destroy();
    closeAll();
    await srv?.kill();
  });

  it('limits.maxNamespacesPerConnection turns away one namespace too many', async () => {
    const m = manager(srv, { transports: ['websocket'] });
    await connectSocket(m, '/');
    const extra = m.socket('/chat');
    const err = await new Promise((resolve) => extra.once('connect_error', resolve));
    assert.equal(err.message, 'too many namespaces on one connection');
    await sleep(100);
    const text = (await request({ port: srv.port, path: '/metrics' })).body;
    assert.equal(sample(text, 'sio_rejected_total{hub="h",reason="too_many_namespaces"}'), 1);
    closeAll();
  });

  it('limits.maxConnections answers 503 beyond the bound and serves again below it', async () => {
    await sleep(300); // the socket.io connection above is gone
    for (let i = 0; i < 4; i++) {
      const s = net.connect(srv.port, '127.0.0.1');
      await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
      raw.push(s);
    }
    await sleep(200);
    const refused = await request({ port: srv.port, path: '/health' }).catch((e) => ({ status: 0, error: e }));
    assert.equal(refused.status, 503);
    for (const s of raw.splice(0)) s.destroy();
    await sleep(300);
    assert.equal((await request({ port: srv.port, path: '/health' })).status, 200);
  });

  it('a bad limit stops start-up, naming the field', async () => {
    await assert.rejects(startSioServer({ hubs: ['h'], config: { limits: { maxConnections: 0 } } }),
      /limits\.maxConnections/);
  });
});

describe('thread settings', { timeout: 60000 }, () => {
  // sio-server runs actors on the network loop by default (scheduler
  // "asio"); every other suite covers that. These run the other layouts
  // through the same client path: an ack, a REST broadcast, a clean exit.
  const layouts = [
    { scheduler: 'caf', workerThreads: 2, ioThreads: 1 },
    { scheduler: 'asio', workerThreads: 1, ioThreads: 1 },
    { scheduler: 'asio', workerThreads: 2, ioThreads: 2 },
  ];
  for (const layout of layouts) {
    it(`${JSON.stringify(layout)} serves acks and REST sends, and exits cleanly`, async () => {
      const srv = await startSioServer({ hubs: ['h'], config: layout });
      try {
        const m = manager(srv, { transports: ['websocket'], forceNew: true });
        const s = await connectSocket(m, '/');
        for (let i = 0; i < 20; i++) assert.deepEqual(await ack(s, 'n', i), [i]);
        const got = new Promise((resolve) => s.once('b', resolve));
        const svc = new WebPubSubServiceClient(srv.connectionString, 'h', { allowInsecureConnection: true });
        await svc.sendToAll('42["b","hi"]', { contentType: 'text/plain' });
        assert.equal(await got, 'hi');
        closeAll();
      } finally {
        const { code, signal } = await srv.kill();
        assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'sio-server exits with 0 on SIGTERM');
      }
    });
  }

  it('a bad scheduler or thread count stops start-up, naming the field', async () => {
    await assert.rejects(startSioServer({ hubs: ['h'], config: { scheduler: 'fast' } }), /scheduler/);
    await assert.rejects(startSioServer({ hubs: ['h'], config: { workerThreads: 0 } }), /workerThreads/);
  });
});

describe('per-event counters', () => {
  // Sessions bump these through counters their hub looked up once; direct
  // WebSocket fan-out counts in the hub. Exact values, so a counter that is
  // skipped or counted twice on either path fails.
  let srv;
  before(async () => {
    srv = await startSioServer({ hubs: {
      quiet: { anonymousConnectPolicy: 'allow' },  // no handler: events are dropped
      h: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' },
    } });
  });
  after(async () => { closeAll(); await srv?.kill(); });

  it('counts dropped events and every packet sent on both fan-out paths', async () => {
    const quiet = await connectSocket(manager(srv, { hub: 'quiet', transports: ['websocket'] }), '/');
    for (let i = 0; i < 5; i++) quiet.emit('e', i);
    const ws = await connectSocket(manager(srv, { hub: 'h', transports: ['websocket'] }), '/');
    const poll = await connectSocket(manager(srv, { hub: 'h', transports: ['polling'] }), '/');
    await sleep(200);
    const before = (await request({ port: srv.port, path: '/metrics' })).body;
    const got = [];
    ws.on('x', (n) => got.push(['ws', n]));
    poll.on('x', (n) => got.push(['poll', n]));
    const svc = new WebPubSubServiceClient(srv.connectionString, 'h', { allowInsecureConnection: true });
    for (let i = 0; i < 3; i++) await svc.sendToAll(`42["x",${i}]`, { contentType: 'text/plain' });
    for (let t = 0; t < 50 && got.length < 6; t++) await sleep(50);
    assert.deepEqual(got.filter(([w]) => w === 'ws').map(([, n]) => n), [0, 1, 2]);
    assert.deepEqual(got.filter(([w]) => w === 'poll').map(([, n]) => n), [0, 1, 2]);
    const after = (await request({ port: srv.port, path: '/metrics' })).body;
    assert.equal(sample(after, 'sio_rejected_total{hub="quiet",reason="event_unhandled"}'), 5);
    assert.equal(sample(after, 'sio_events_received_total{hub="quiet"}') ?? 0, 0);
    // 3 sends x 2 connections; nothing else was sent to hub h meanwhile.
    assert.equal(sample(after, 'sio_packets_sent_total{hub="h"}') - sample(before, 'sio_packets_sent_total{hub="h"}'), 6);
  });
});
