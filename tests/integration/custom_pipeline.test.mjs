// examples/custom-pipeline: an auth actor and a moderation actor in front of
// the webhook dispatcher, against a real upstream HTTP server on 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { io } from 'socket.io-client';
import { once, ack, sleep } from './support/clients.mjs';
import { superviseProcess } from './support/server.mjs';

const BIN = process.env.CUSTOM_PIPELINE ?? path.resolve('build/examples/custom-pipeline/custom-pipeline');

/** An upstream that records CloudEvents and acks user events with "ok". */
async function startUpstream() {
  const events = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.setHeader('WebHook-Allowed-Origin', '*');
        res.end();
        return;
      }
      events.push({ type: req.headers['ce-type'], name: req.headers['ce-eventname'], body });
      const m = /^42(?:\/[^,]*,)?(\d+)\[/.exec(body);
      if (req.headers['ce-type'] === 'azure.webpubsub.user.message' && m) {
        res.setHeader('Content-Type', 'text/plain');
        res.end(`43${m[1]}["ok from upstream"]`);
        return;
      }
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { events, port: server.address().port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

describe('custom pipeline: auth -> moderation -> webhook dispatcher', () => {
  let upstream;
  let pipeline;
  let origin;
  const sockets = [];

  before(async () => {
    upstream = await startUpstream();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-pipeline-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      hubs: {
        chat: {
          anonymousConnectPolicy: 'allow',
          eventHandlers: [{
            urlTemplate: `http://127.0.0.1:${upstream.port}/upstream/{hub}/{event}`,
            userEventPattern: '*',
            systemEvents: ['connect', 'connected', 'disconnected'],
          }],
        },
      },
    }));
    const child = spawn(BIN, ['--config', file, '--app-token', 's3cret', '--ban', 'spam'], { stdio: ['ignore', 'pipe', 'pipe'] });
    pipeline = superviseProcess(child, 'custom-pipeline', { ready: [/client url \(hub chat\): http:\/\/127\.0\.0\.1:\d+/] });
    pipeline.exitPromise.then(() => fs.rmSync(dir, { recursive: true, force: true }));
    const [line] = await pipeline.startup;
    origin = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)[1];
  });
  after(async () => {
    for (const s of sockets) s.close();
    try {
      // SIGTERM: exit code 0 and no sanitizer report, or the suite fails.
      await pipeline?.kill();
    } finally {
      await upstream?.close();
    }
  });

  function client(auth) {
    const s = io(origin, { path: '/clients/socketio/hubs/chat', transports: ['websocket'], reconnection: false, auth });
    sockets.push(s);
    return s;
  }

  it('the auth actor rejects a socket without the token; the upstream never hears of it', async () => {
    const s = client({ token: 'wrong' });
    const [err] = await once(s, 'connect_error', 5000);
    assert.equal(err.message, 'invalid auth.token');
    await sleep(100);
    assert.equal(upstream.events.filter((e) => e.type === 'azure.webpubsub.sys.connect').length, 0);
  });

  it('a valid socket reaches the upstream, which acks its events', async () => {
    const s = client({ token: 's3cret' });
    await once(s, 'connect', 5000);
    assert.equal(upstream.events.filter((e) => e.type === 'azure.webpubsub.sys.connect').length, 1);
    assert.deepEqual(await ack(s, 'say', 'hello'), ['ok from upstream']);
    assert.ok(upstream.events.some((e) => e.name === 'say' && e.body.includes('"hello"')));
  });

  it('the moderation actor answers a banned event itself; the upstream never gets it', async () => {
    const s = client({ token: 's3cret' });
    await once(s, 'connect', 5000);
    const before = upstream.events.length;
    assert.deepEqual(await ack(s, 'say', 'buy SPAM now'), [{ error: 'message blocked' }]);
    await sleep(100);
    assert.ok(!upstream.events.slice(before).some((e) => e.body.includes('SPAM')));
    // and the socket still works
    assert.deepEqual(await ack(s, 'say', 'fine'), ['ok from upstream']);
  });
});
