// A socket.io-client in its own process, so a test can freeze (SIGSTOP) or kill
// (SIGKILL) a real client. Usage: node child_client.mjs ORIGIN PATH TRANSPORT
// (TRANSPORT: polling | websocket). Prints one JSON line
// {"socket":..., "connection":...} once connected to `/`, then idles.
import { io } from 'socket.io-client';

const [origin, path, transport] = process.argv.slice(2);
const socket = io(origin, { path, transports: [transport ?? 'websocket'], reconnection: false });
socket.on('connect', () => {
  process.stdout.write(JSON.stringify({ socket: socket.id, connection: socket.io.engine.id }) + '\n');
});
socket.on('connect_error', (e) => {
  process.stderr.write(`connect_error: ${e.message}\n`);
  process.exit(1);
});
// Never exit on its own; a safety timer keeps an orphan from living forever.
setTimeout(() => process.exit(3), 60000).unref?.();
setInterval(() => {}, 1000);
