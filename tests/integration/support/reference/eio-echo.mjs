// Reference stand-in for `eio-echo`, built on the official Node `engine.io`
// server: same flags and start-up line, echoes every message back. Lets the
// engine.io-client tests be checked without the C++ binary (EIO_ECHO=reference).
import http from 'node:http';
import { attach } from 'engine.io';

const flags = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) flags[argv[i].replace(/^--/, '')] = argv[i + 1];
const path = flags.path ?? '/engine.io/';

const server = http.createServer();
const engine = attach(server, {
  path,
  pingInterval: Number(flags['ping-interval'] ?? 25000),
  pingTimeout: Number(flags['ping-timeout'] ?? 20000),
  maxHttpBufferSize: Number(flags['max-payload'] ?? 1000000),
});
engine.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(data));
});
server.listen(Number(flags.port ?? 3000), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}${path}\n`);
});
process.on('SIGTERM', () => process.exit(0));
