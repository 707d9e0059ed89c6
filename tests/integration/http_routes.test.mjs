// The one route table of sio-server, end to end: the demo (no --config)
// serves its page and /negotiate as application routes (service::route)
// next to the service's own Engine.IO endpoint, REST API, /health and
// /metrics. Each request goes to its route by method and path; a known path
// with another method gets 405 with Allow, an unknown path 404 JSON, and a
// GET route answers HEAD with its headers and no body.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, json } from './support/clients.mjs';
import { superviseProcess } from './support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const reference = process.env.SIO_SERVER === 'reference';

describe('one route table: application routes next to the service\'s', { skip: reference && 'the Node reference server has no demo mode' }, () => {
  let srv;
  let port;

  before(async () => {
    const bin = process.env.SIO_SERVER ? path.resolve(process.env.SIO_SERVER)
      : path.join(repo, 'build', 'examples', 'sio-server', 'sio-server');
    const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    srv = superviseProcess(child, 'sio-server (demo)', { ready: [/client url \(hub chat\): http:\/\/127\.0\.0\.1:\d+\//] });
    const [line] = await srv.startup;
    port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(line)[1]);
  });

  after(() => srv?.kill());

  it('application routes answer their method; another method is 405 with Allow', async () => {
    const n = await request({ port, path: '/negotiate?hub=chat&userId=dora' });
    assert.equal(n.status, 200);
    assert.equal(json(n).path, '/clients/socketio/hubs/chat');
    for (const [p, method] of [['/negotiate?hub=chat', 'POST'], ['/', 'DELETE'], ['/socket.io.min.js', 'PUT']]) {
      const r = await request({ port, method, path: p, body: method === 'DELETE' ? undefined : 'x' });
      assert.equal(r.status, 405, `${method} ${p}`);
      assert.equal(r.headers.allow, 'GET', `${method} ${p}`);
      assert.equal(json(r).code, 'MethodNotAllowed');
    }
  });

  it('a GET route answers HEAD with its headers and no body', async () => {
    const get = await request({ port, path: '/' });
    const head = await request({ port, method: 'HEAD', path: '/' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(head.headers['content-length'], String(get.raw.length));
    assert.equal(head.raw.length, 0);
    const health = await request({ port, method: 'HEAD', path: '/health' });
    assert.equal(health.status, 200);
    assert.equal(health.raw.length, 0);
  });

  it('the service\'s routes are there, with their methods', async () => {
    const health = await request({ port, path: '/health' });
    assert.equal(health.status, 200);
    assert.deepEqual(json(health), { status: 'ok' });
    const postHealth = await request({ port, method: 'POST', path: '/health', body: '' });
    assert.equal(postHealth.status, 405);
    assert.equal(postHealth.headers.allow, 'GET');
    const metrics = await request({ port, path: '/metrics' });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    // The REST API takes every method under /api/ and answers itself.
    for (const method of ['GET', 'POST', 'PATCH']) {
      const r = await request({ port, method, path: '/api/hubs/chat/:send?api-version=2024-01-01', body: method === 'GET' ? undefined : '{}' });
      assert.equal(r.status, 401, `${method}: ${r.body}`);
      assert.equal(json(r).code, 'Unauthorized');
    }
  });

  it('Engine.IO is served with and without the trailing slash, for every method it knows', async () => {
    for (const p of ['/clients/socketio/hubs/chat/?EIO=4&transport=polling', '/clients/socketio/hubs/chat?EIO=4&transport=polling']) {
      const r = await request({ port, path: p });
      assert.equal(r.status, 200, p);
      assert.match(r.body, /^0\{"sid":"/);
    }
    const preflight = await request({ port, method: 'OPTIONS', path: '/clients/socketio/hubs/chat/', headers: { Origin: 'http://example.test' } });
    assert.equal(preflight.status, 204);
    const unknownHub = await request({ port, path: '/clients/socketio/hubs/nope/?EIO=4&transport=polling' });
    assert.equal(unknownHub.status, 404);
  });

  it('paths no route matches get 404 JSON, however they are spelled', async () => {
    for (const p of ['/nothing', '/negotiate/', '/NEGOTIATE', '/health/', '/healthz', '/metrics/x', '/%zz', '/index.html/', '//']) {
      const r = await request({ port, path: p });
      assert.equal(r.status, 404, p);
      assert.deepEqual(json(r), { code: 'NotFound', message: 'no such endpoint' }, p);
    }
  });
});
