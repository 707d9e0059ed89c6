// bench/node-server.mjs
// The Node.js baselines for scripts/bench: the official socket.io v4 server
// doing what sio-server's in-process echo handler does (ack every event with
// its arguments, fan `broadcast` out), plus `join` (socket.join) and an HTTP
// backend endpoint POST /emit[?room=R] whose body is the JSON argument array,
// POST /ask?timeout=MS (the same to everyone with io.timeout().emitWithAck,
// answered with the number of acks), and GET /stats (clients, disconnect
// reasons, connections, recovered connections).
//
//   node bench/node-server.mjs [--ping-interval MS] [--workers N] [--ws-engine eiows]
//                              [--redis redis://127.0.0.1:PORT] [--recovery MS]
//
// One process by default. --workers N is socket.io's documented way to use
// N cores: a node:cluster primary that hands each connection to a worker
// with @socket.io/sticky and N workers joined by @socket.io/cluster-adapter
// (a broadcast reaches the other workers' sockets over the cluster's IPC).
// The backend endpoint then listens on a second port that the workers share
// through node:cluster (stateless HTTP needs no stickiness, and sticky's
// workers close every HTTP connection after one response).
// --ws-engine eiows swaps in the eiows native WebSocket server (`wsEngine`).
// --redis URL (one process only) joins the server to the others on that
// Redis with @socket.io/redis-adapter (`createAdapter(pub, sub)` on two
// clients of the npm `redis` package): the cluster scenario's Node side.
//
// --recovery MS turns on connection state recovery (socket.io 4.6+):
// `connectionStateRecovery: {maxDisconnectionDuration: MS, skipMiddlewares:
// true}` on the default in-memory adapter (its SessionAwareAdapter). Only
// that adapter keeps sessions: @socket.io/cluster-adapter and the Redis
// (pub/sub) adapter do not, so with --workers or --redis the option is
// refused.
//
// Prints "listening PORT api PORT pids PID,..." (every process of the server,
// the primary first) once it accepts.
import cluster from 'node:cluster';
import http from 'node:http';
import { Server } from 'socket.io';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const pingInterval = Number(arg('--ping-interval', '25000'));
const workers = Number(arg('--workers', '1'));
const wsEngineName = arg('--ws-engine', '');
const redisUrl = arg('--redis', '');
const recoveryMs = Number(arg('--recovery', '0'));
if (recoveryMs > 0 && (workers > 1 || redisUrl)) {
  console.error('--recovery needs the in-memory adapter: not with --workers or --redis');
  process.exit(2);
}
const PATH = '/clients/socketio/hubs/bench/';

if (workers > 1 && cluster.isPrimary) {
  await primary();
} else {
  await serve(workers > 1);
}

async function primary() {
  const { setupMaster } = (await import('@socket.io/sticky')).default;
  const { setupPrimary } = await import('@socket.io/cluster-adapter');
  const srv = http.createServer();
  setupMaster(srv, { loadBalancingMethod: 'least-connection' });
  setupPrimary();
  // sticky passes each connection's first bytes as a Buffer over IPC
  cluster.setupPrimary({ serialization: 'advanced' });
  const ready = [];
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork();
    ready.push(new Promise((resolve, reject) => {
      w.on('message', (m) => { if (m?.type === 'bench:ready') resolve(m.apiPort); });
      w.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    }));
  }
  const apiPorts = await Promise.all(ready);
  srv.listen(0, '127.0.0.1', () => {
    const pids = [process.pid, ...Object.values(cluster.workers).map((w) => w.process.pid)];
    console.log(`listening ${srv.address().port} api ${apiPorts[0]} pids ${pids.join(',')}`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
}

async function serve(inCluster) {
  const closed = {};
  let connections = 0, recovered = 0;
  let io;
  const api = (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/emit') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let args;
        try { args = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { args = null; }
        if (!Array.isArray(args) || typeof args[0] !== 'string') {
          res.writeHead(400).end();
          return;
        }
        const room = url.searchParams.get('room');
        (room ? io.to(room) : io).emit(...args);
        res.writeHead(202).end();
      });
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/ask') {
      // io.timeout(ms).emitWithAck(...): every socket's answer (what ours'
      // `:send?ackTimeout=ms` does for a backend).
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        let args;
        try { args = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { args = null; }
        if (!Array.isArray(args) || typeof args[0] !== 'string') {
          res.writeHead(400).end();
          return;
        }
        const ms = Number(url.searchParams.get('timeout') ?? '10000');
        let body;
        try {
          const acks = await io.timeout(ms).emitWithAck(...args);
          body = { acks: acks.length };
        } catch (e) {
          body = { acks: 0, error: String(e.message || e) };
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/stats') {
      const answer = (all) => {
        const sum = {};
        for (const c of all) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] || 0) + v;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ closed: sum, connections, recovered }));
      };
      if (!inCluster) answer([closed]);
      else {
        io.serverSideEmit('bench:closed', (err, others) => answer([closed, ...(err ? [] : others)]));
      }
      return true;
    }
    return false;
  };
  // engine.io handles its own path; everything else is the API or 404
  const srv = http.createServer((req, res) => {
    if (!req.url.startsWith(PATH) && !api(req, res)) res.writeHead(404).end();
  });

  const opts = {
    path: PATH,
    pingInterval,
    pingTimeout: 20000,
    serveClient: false,
    cors: { origin: '*' },
  };
  if (recoveryMs > 0) opts.connectionStateRecovery = { maxDisconnectionDuration: recoveryMs, skipMiddlewares: true };
  if (wsEngineName) opts.wsEngine = (await import(wsEngineName)).default.Server;
  if (inCluster) opts.adapter = (await import('@socket.io/cluster-adapter')).createAdapter();
  else if (redisUrl) {
    const { createClient } = await import('redis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    opts.adapter = createAdapter(pub, sub);
  }
  io = new Server(srv, opts);

  io.on('connection', (socket) => {
    connections++;
    if (socket.recovered) recovered++;
    socket.onAny((event, ...args) => {
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args.pop();
        if (event === 'join' && typeof args[0] === 'string') socket.join(args[0]);
        last(...args);
      } else if (event === 'broadcast') {
        io.emit('broadcast', ...args);
      }
    });
    socket.on('disconnect', (reason) => { closed[reason] = (closed[reason] || 0) + 1; });
  });
  process.on('SIGTERM', () => process.exit(0));

  if (inCluster) {
    io.on('bench:closed', (cb) => cb(closed));
    (await import('@socket.io/sticky')).default.setupWorker(io);
    const apiSrv = http.createServer((req, res) => { if (!api(req, res)) res.writeHead(404).end(); });
    apiSrv.keepAliveTimeout = 60000;
    // Workers that listen on port 0 share one port that the primary picks.
    apiSrv.listen(0, '127.0.0.1', () => process.send({ type: 'bench:ready', apiPort: apiSrv.address().port }));
  } else {
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      console.log(`listening ${port} api ${port} pids ${process.pid}`);
    });
  }
}
