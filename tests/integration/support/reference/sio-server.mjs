// Reference stand-in for `sio-server`, built on the official Node `socket.io`
// server. It follows the same command line, start-up lines, echo handler and
// lifecycle log lines as the contract, so the integration tests' own logic can
// be checked without the C++ binary (SIO_SERVER=reference). Not a product.
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import { Server as Engine } from 'engine.io';
import { Server } from 'socket.io';

const argv = process.argv.slice(2);
const i = argv.indexOf('--config');
if (i < 0 || !argv[i + 1]) {
  console.error('usage: sio-server --config FILE');
  process.exit(2);
}
const cfg = JSON.parse(fs.readFileSync(argv[i + 1], 'utf8'));
const eio = cfg.engineio ?? {};
const host = cfg.listen?.host ?? '0.0.0.0';
const key = cfg.accessKeys?.primary ?? crypto.randomBytes(32).toString('base64');
const corsOrigins = cfg.cors?.origins ?? ['*'];

// Limits the C++ gateway is expected to enforce; Node's own limit (16 KiB for
// the whole header block) would answer 431 to a long URL, not 414.
const MAX_URL = 8192;
const MAX_HEADER_BYTES = 64 * 1024;

const log = (line) => process.stdout.write(`[info] ${line}\n`);

const engines = new Map();
for (const [hub, hcfg] of Object.entries(cfg.hubs ?? {})) {
  const engine = new Engine({
    pingInterval: eio.pingInterval ?? 25000,
    pingTimeout: eio.pingTimeout ?? 20000,
    maxHttpBufferSize: eio.maxPayload ?? 1000000,
    cors: { origin: corsOrigins.includes('*') ? true : corsOrigins, credentials: true },
    allowEIO3: false,
  });
  const io = new Server({ connectTimeout: eio.connectTimeout ?? 45000 });
  io.bind(engine);
  const setup = (nsp) => {
    nsp.use((socket, next) => {
      const deny = socket.handshake.auth?.deny;
      if (typeof deny === 'string') next(new Error(deny));
      else next();
    });
    nsp.on('connection', (socket) => {
      const ids = `hub=${hub} nsp=${socket.nsp.name} socket=${socket.id} connection=${socket.conn.id}`;
      log(`socket connected ${ids}`);
      socket.on('disconnect', (reason) => log(`socket disconnected ${ids} reason=${reason}`));
      if (hcfg.inProcessHandler !== 'echo') return;
      socket.onAny((event, ...args) => {
        if (typeof args[args.length - 1] === 'function') {
          const ack = args.pop();
          ack(...args);
        } else if (event === 'echo') {
          socket.emit('echo', ...args);
        } else if (event === 'broadcast') {
          socket.nsp.emit('broadcast', ...args);
        }
      });
    });
  };
  setup(io.of('/'));
  setup(io.of(/^\/.+$/));
  engines.set(hub, engine);
}

function route(req) {
  const path = req.url.split('?')[0];
  const m = /^\/clients\/socketio\/hubs\/([^/]+)\/?$/.exec(path);
  return m ? engines.get(m[1]) : undefined;
}

function headerBytes(req) {
  let n = 0;
  for (const h of req.rawHeaders) n += h.length + 2;
  return n;
}

const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
  if (req.url.length > MAX_URL) {
    res.writeHead(414, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('URI Too Long');
    return;
  }
  if (headerBytes(req) > MAX_HEADER_BYTES) {
    res.writeHead(431, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('Request Header Fields Too Large');
    return;
  }
  const engine = route(req);
  if (!engine) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
    return;
  }
  engine.handleRequest(req, res);
});
server.on('upgrade', (req, socket, head) => {
  const engine = route(req);
  if (!engine || req.url.length > MAX_URL) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  engine.handleUpgrade(req, socket, head);
});

server.listen(cfg.listen?.port ?? 8080, host, () => {
  const port = server.address().port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const endpoint = cfg.publicEndpoint ?? `http://${shownHost}:${port}`;
  process.stdout.write(`connection string: Endpoint=${endpoint};AccessKey=${key};Version=1.0;\n`);
  for (const hub of engines.keys()) {
    process.stdout.write(`client url (hub ${hub}): ${endpoint}/clients/socketio/hubs/${hub}\n`);
  }
});
process.on('SIGTERM', () => process.exit(0));
