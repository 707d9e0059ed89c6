// Three sio-server nodes on one Redis behind a real nginx (Debian's), set up
// by examples/cluster/nginx.conf.in: socket.io-client with its default
// transports (long-polling, then the upgrade to WebSocket) and polling-only
// clients work through it, since every request of a session reaches the
// node named in its sid; REST calls through nginx reach every node; and a
// socket whose transport is cut resumes (connection state recovery) on
// whichever node nginx sends its reconnection to.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startSioServer, superviseProcess } from './support/server.mjs';
import { startRedis, freePort } from './support/redis.mjs';
import { manager, connectSocket, closeAll, once, sleep, request } from './support/clients.mjs';
import { recorder, until } from './support/records.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const template = path.join(here, '..', '..', 'examples', 'cluster', 'nginx.conf.in');
const KEY = 'nginx-cluster-test-key-0123456789abcdef012345';
const text = { contentType: 'text/plain' };

/** nginx from the example's template, in a temp dir, on `port`. */
async function startNginx(port, nodes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-nginx-'));
  fs.chmodSync(dir, 0o755);
  const conf = fs.readFileSync(template, 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@PORT@', String(port))
    .replace('@ANY_SERVERS@', nodes.map((n) => `    server 127.0.0.1:${n.port};`).join('\n'))
    .replace('@NODE_UPSTREAMS@', nodes.map((n) => `  upstream ${n.id} { server 127.0.0.1:${n.port}; }`).join('\n'))
    .replace('@NODE_MAP@', nodes.map((n) => `    "~^${n.id}\\." ${n.id};`).join('\n'));
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, conf);
  const child = spawn('nginx', ['-p', dir, '-c', file, '-e', 'stderr'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = superviseProcess(child, 'nginx');
  await until(async () => {
    try { return (await request({ port, path: '/health', timeoutMs: 500 })).status === 200; } catch { return false; }
  }, 10000, 'nginx serving');
  return { proc, dir, async stop() { await proc.stop(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

describe('cluster behind nginx', () => {
  let redis;
  let nginx;
  const nodes = [];
  let lb;
  let svc;

  before(async () => {
    redis = await startRedis();
    const port = await freePort();
    lb = { port, origin: `http://127.0.0.1:${port}` };
    for (const id of ['n1', 'n2', 'n3']) {
      // Its own port: the printed URLs show publicEndpoint (nginx's).
      const nodePort = await freePort();
      const srv = await startSioServer({
        hubs: {
          chat: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' },
          rec: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo',
                 connectionStateRecovery: { maxDisconnectionDuration: 30000 } },
        },
        config: {
          listen: { host: '127.0.0.1', port: nodePort },
          publicEndpoint: lb.origin,
          accessKeys: { primary: KEY },
          cluster: { redis: redis.url, nodeId: id, heartbeatInterval: 200, nodeTimeout: 1000 },
        },
      });
      nodes.push({ id, port: nodePort, srv });
    }
    nginx = await startNginx(port, nodes);
    lb.url = (hub = 'chat') => `${lb.origin}/clients/socketio/hubs/${hub}`;
    lb.path = (hub = 'chat') => `/clients/socketio/hubs/${hub}`;
    svc = new WebPubSubServiceClient(`Endpoint=${lb.origin};AccessKey=${KEY};Version=1.0;`, 'chat',
      { allowInsecureConnection: true });
    await sleep(400);
  });
  after(async () => {
    closeAll();
    await nginx?.stop();
    for (const n of nodes) await n.srv.stop();
    await redis?.cleanup();
  });

  it('default transports: polling, then the upgrade, each session on its node', async () => {
    const sockets = [];
    for (let i = 0; i < 6; i++) {
      const s = await connectSocket(manager(lb, { hub: 'chat' }), '/');
      sockets.push(s);
    }
    await until(() => sockets.every((s) => s.io.engine.transport.name === 'websocket'), 5000, 'every socket upgraded');
    const owners = new Set(sockets.map((s) => s.io.engine.id.split('.')[0]));
    for (const o of owners) assert.ok(['n1', 'n2', 'n3'].includes(o), `sid names its node: ${o}`);
    assert.ok(owners.size >= 2, `handshakes spread over the nodes: ${[...owners]}`);
    for (const s of sockets) assert.equal(await s.timeout(2000).emitWithAck('echo', s.id), s.id);
    const got = sockets.map(() => []);
    sockets.forEach((s, i) => s.on('news', (v) => got[i].push(v)));
    await svc.sendToAll('42["news",1]', text);
    await until(() => got.every((g) => g.length === 1), 3000, 'a REST send through nginx reached every node');
  });

  it('polling only: many exchanges of one session stay on its node', async () => {
    const s = await connectSocket(manager(lb, { hub: 'chat', transports: ['polling'] }), '/');
    for (let i = 0; i < 20; i++) assert.equal(await s.timeout(2000).emitWithAck('echo', i), i);
    const news = [];
    s.on('news', (v) => news.push(v));
    for (let i = 0; i < 10; i++) await svc.sendToConnection(s.io.engine.id, `42["news",${i}]`, text);
    await until(() => news.length === 10, 3000, 'ten sends to one polling connection');
    assert.deepEqual(news, [...Array(10).keys()]);
    assert.equal(s.io.engine.transport.name, 'polling');
  });

  it('connection state recovery: a cut socket resumes on whichever node its reconnection reaches', async () => {
    const rec = new WebPubSubServiceClient(`Endpoint=${lb.origin};AccessKey=${KEY};Version=1.0;`, 'rec',
      { allowInsecureConnection: true });
    const kept = async () => {
      let sum = 0;
      for (const n of nodes) {
        const body = (await request({ port: n.port, path: '/metrics' })).body;
        sum += Number(/^sio_recovery_kept_sessions\{hub="rec"\} (\d+)/m.exec(body)?.[1] ?? 0);
      }
      return sum;
    };
    const moves = [];
    for (const transports of [undefined, ['polling']]) {
      for (let round = 0; round < 3; round++) {
        const what = `${transports ? 'polling' : 'default transports'}, round ${round}`;
        const s = manager(lb, { hub: 'rec', ...(transports ? { transports } : {}), forceNew: true,
          reconnectionDelay: 100, reconnectionDelayMax: 200 }).socket('/');
        const got = recorder(s);
        await once(s, 'connect', 5000);
        if (!transports) await until(() => s.io.engine.transport.name === 'websocket', 5000, `${what}: upgraded`);
        const [id, cid] = [s.id, s.io.engine.id];
        await rec.sendToConnection(cid, '42["m",1]', text);
        await until(() => got.length === 1, 3000, `${what}: the first event`);
        const k0 = await kept();
        s.io.reconnection(false);
        s.io.engine.close();
        await until(async () => (await kept()) > k0, 3000, `${what}: the node keeps the lost socket`);
        // While it is away, through nginx (any node): its old connection, everyone.
        await rec.sendToConnection(cid, '42["m",2]', text);
        await rec.sendToAll('42["m",3]', text);
        s.io.reconnection(true);
        const back = once(s, 'connect', 5000);
        s.connect();
        await back;
        assert.equal(s.recovered, true, `${what}: recovered`);
        assert.equal(s.id, id, `${what}: the same socket id`);
        await until(() => got.length === 3, 3000, `${what}: the missed events`);
        assert.deepEqual(got.map((e) => e.slice(0, -1)), [['m', 1], ['m', 2], ['m', 3]], what);
        moves.push(`${cid.split('.')[0]}->${s.io.engine.id.split('.')[0]}`);
        s.disconnect();
      }
    }
    process.stderr.write(`# recovery through nginx, node before -> after: ${moves.join(' ')}\n`);
  });
});
