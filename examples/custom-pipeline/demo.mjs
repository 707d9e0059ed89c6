// examples/custom-pipeline/demo.mjs: one client session through the custom
// pipeline (auth -> moderation -> webhook dispatcher -> the Node upstream of
// examples/serverless-node): a CONNECT without the app token is refused by
// the auth stage, a banned word is answered by the moderation stage, and an
// ordinary message is acked by the upstream. Exits 0 when all three hold.
//   node demo.mjs --upstream http://127.0.0.1:7071 --app-token let-me-in
import { io } from 'socket.io-client';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
};
const upstream = arg('--upstream', 'http://127.0.0.1:7071');
const appToken = arg('--app-token', 'let-me-in');

/** Connects; resolves with the socket or rejects with the CONNECT_ERROR. */
function connect(endpoint, path, token, auth) {
  const socket = io(endpoint, { path, query: { access_token: token }, auth, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.close(); reject(new Error('no answer within 10 s')); }, 10000);
    socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
    socket.once('connect_error', (err) => { clearTimeout(timer); socket.close(); reject(err); });
  });
}

const res = await fetch(`${upstream}/negotiate?userId=demo`, { signal: AbortSignal.timeout(10000) });
if (!res.ok) throw new Error(`negotiate: HTTP ${res.status}`);
const { endpoint, path, token } = await res.json();
let failures = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures++; };

try {
  await connect(endpoint, path, token, {});
  check(false, 'a CONNECT without auth.token is refused');
} catch (err) {
  check(err.message === 'invalid auth.token', `a CONNECT without auth.token is refused by the auth stage: "${err.message}"`);
}
const socket = await connect(endpoint, path, token, { token: appToken });
check(socket.connected, 'a CONNECT with auth.token passes auth and the upstream\'s connect webhook');
const blocked = await socket.timeout(10000).emitWithAck('message', 'buy spam now');
check(blocked?.error === 'message blocked', `the moderation stage answers a banned word itself: ${JSON.stringify(blocked)}`);
const acked = await socket.timeout(10000).emitWithAck('message', 'hello');
check(acked?.ok === true, `the upstream acks an ordinary message: ${JSON.stringify(acked)}`);
socket.close();
process.exit(failures ? 1 : 0);
