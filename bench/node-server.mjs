// bench/node-server.mjs
// The Node.js baseline for scripts/bench: the official socket.io v4 server
// doing what sio-server's in-process echo handler does (ack every event with
// its arguments, fan `broadcast` out), plus `join` (socket.join) and an HTTP
// backend endpoint POST /emit[?room=R] whose body is the JSON argument array.
//
//   node bench/node-server.mjs --ping-interval 25000   (prints "listening PORT")
import http from 'node:http';
import { Server } from 'socket.io';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const pingInterval = Number(arg('--ping-interval', '25000'));
const closed = {};

const srv = http.createServer((req, res) => {
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
    return;
  }
  if (req.method === 'GET' && url.pathname === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ clients: io.engine.clientsCount, closed }));
    return;
  }
  // engine.io handles its own path; everything else is 404
  if (!url.pathname.startsWith('/clients/')) res.writeHead(404).end();
});

const io = new Server(srv, {
  path: '/clients/socketio/hubs/bench/',
  pingInterval,
  pingTimeout: 20000,
  serveClient: false,
  cors: { origin: '*' },
});

io.on('connection', (socket) => {
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

srv.listen(0, '127.0.0.1', () => {
  console.log(`listening ${srv.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
