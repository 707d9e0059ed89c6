#!/usr/bin/env node
// The client side of the serverless workflow, end to end: initialization
// (GET /negotiate on the upstream -> {endpoint, path, token}), connection with
// socket.io-client and that token, emission of `message` with an ack (answered
// by the upstream's webhook response), notifications the upstream pushes
// through the service's REST API (`system` notices, `message` broadcasts), and
// disconnection. One line per step on stdout; exit code 0 when every step worked.
//
//   node client.mjs [--upstream http://127.0.0.1:7071] [--user ann] [--text hello]
//                   [--stay SECONDS [--until NOTICE]]
// --stay keeps listening that long before disconnecting; --until ends the
// stay early once a `system` notice equal to NOTICE arrives (e.g. "bob left").
import { io } from 'socket.io-client';

function parseArgs(argv) {
  const out = { upstream: 'http://127.0.0.1:7071', user: 'ann', text: 'hello from the serverless demo', stay: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (v === undefined && a !== '--help') throw new Error(`${a} needs a value`);
    if (a === '--upstream') out.upstream = v;
    else if (a === '--user') out.user = v;
    else if (a === '--text') out.text = v;
    else if (a === '--stay') out.stay = Number(v);
    else if (a === '--until') out.until = v;
    else if (a === '--help') { out.help = true; continue; } else throw new Error(`unknown argument: ${a}`);
    i++;
  }
  if (!Number.isFinite(out.stay) || out.stay < 0 || out.stay > 3600) throw new Error('--stay: 0-3600 seconds');
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log('usage: node client.mjs [--upstream URL] [--user NAME] [--text TEXT] [--stay SECONDS [--until NOTICE]]');
    return;
  }
  const say = (step, text) => console.log(`[${opts.user}] ${step.padEnd(12)} ${text}`);

  // 1. Initialization request -> tokens / connection details.
  const nres = await fetch(`${opts.upstream}/negotiate?userId=${encodeURIComponent(opts.user)}`,
    { signal: AbortSignal.timeout(5000) });
  if (!nres.ok) throw new Error(`negotiate: HTTP ${nres.status} ${await nres.text()}`);
  const { endpoint, path, token } = await nres.json();
  say('negotiate', `endpoint=${endpoint} path=${path} token=${token.slice(0, 16)}...`);

  // 2. Connect with the token (Engine.IO handshake checks it, then the
  //    upstream's `connect` webhook decides the socket).
  const socket = io(endpoint, { path, query: { access_token: token }, reconnection: false });
  const mine = [];
  let untilSeen = false;
  socket.on('system', (text) => {
    say('notice', text);
    if (text === opts.until) untilSeen = true;
  });
  socket.on('message', (m) => {
    say('message', `${m.from}: ${m.text}`);
    if (m.from === opts.user) mine.push(m);
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect: timed out')), 10000);
    socket.once('connect', () => { clearTimeout(timer); resolve(); });
    socket.once('connect_error', (e) => { clearTimeout(timer); reject(new Error(`connect: ${e.message}`)); });
  });
  say('connected', `socket ${socket.id} over ${socket.io.engine.transport.name}`);

  try {
    // 3. Event emission with an acknowledgement (the webhook's answer).
    const ack = await socket.timeout(10000).emitWithAck('message', opts.text);
    say('ack', JSON.stringify(ack));
    if (!ack?.ok) throw new Error(`upstream refused the message: ${JSON.stringify(ack)}`);

    // 4. Event notification: the upstream's REST broadcast comes back to us too.
    const deadline = Date.now() + 5000;
    while (mine.length === 0 && Date.now() < deadline) await sleep(20);
    if (mine.length === 0) throw new Error('the broadcast of our message did not arrive');
    if (opts.stay > 0) {
      say('listening', `for ${opts.stay} s (other clients' notices and messages show here)`);
      const end = Date.now() + opts.stay * 1000;
      while (Date.now() < end && !untilSeen) await sleep(20);
      if (opts.until !== undefined && !untilSeen) throw new Error(`no notice "${opts.until}" within ${opts.stay} s`);
    }
  } finally {
    // 5. Disconnection (the upstream gets `disconnected` and tells the others).
    if (socket.connected) {
      const gone = new Promise((resolve) => socket.once('disconnect', resolve));
      socket.disconnect();
      say('disconnected', await gone);
    } else {
      socket.close();
    }
  }
}

main().catch((e) => {
  console.error(`client: ${e.message}`);
  process.exit(1);
});
