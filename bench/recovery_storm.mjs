// bench/recovery_storm.mjs
// The client side of the reconnect storm of scripts/bench (section
// "Connection state recovery"): one process holding many official
// socket.io-client 4.x sockets (WebSocket transport only, one Manager and
// one connection each), driven by line commands on stdin, answering JSON
// lines on stdout like sio-bench-client.
//
//   node bench/recovery_storm.mjs --port P --path /clients/socketio/hubs/bench/
//        [--base 0] [--room 10] [--delay 1000] [--rand 0.1] [--cut destroy|close]
//
// Client i of the process is client base+i of the run; its room is
// r<(base+i)/room>. The sockets reconnect by themselves (the Manager's
// reconnection, reconnectionDelay --delay ms, randomizationFactor --rand).
//
// Commands (one per line):
//   connect N CONC  open N more sockets, at most CONC handshakes in flight;
//                   one without `connect` in 20 s (socket.io-client's
//                   default timeout) counts as failed and is closed
//   ids             the Engine.IO ids (the REST connection ids) and socket ids
//   sids            the Engine.IO ids alone (what sio-bench-client's `sids` gives)
//   join MS         every socket emits ["join", "<its room>"] with an ack
//                   (the Node server joins it to that room)
//   arm K           forget what arrived; the next storm expects events
//                   "m" 0..K-1 on every socket
//   waitev NAME MS  answers once every socket got an event NAME since `arm`
//                   (or after MS)
//   cut             every socket's transport is lost at once: the TCP socket
//                   under its WebSocket destroyed (--cut destroy, the
//                   default: the server sees the connection drop, no
//                   WebSocket close; the client's engine reports a
//                   transport close when it gets to it) or
//                   `socket.io.engine.close()` (--cut close: a WebSocket
//                   close frame, and the whole close runs inside the loop,
//                   ~0.3 ms a socket); the Manager then reconnects
//   wait MS         answers once every socket reconnected, is recovered
//                   (`socket.recovered`) and has all K events (or after MS):
//                   per-socket times from the cut, what is missing
//   roomwait MS     answers once every socket got an event "r" naming its
//                   room since `arm` (or after MS)
//   quit
//
// Light on purpose: perMessageDeflate off, no debug, one listener per event;
// the process shares the machine's cores with the server it measures.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { io } from 'socket.io-client';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const port = Number(arg('--port', '0'));
const path = arg('--path', '/socket.io/');
const base = Number(arg('--base', '0'));
const roomSize = Number(arg('--room', '10'));
const delay = Number(arg('--delay', '1000'));
const rand = Number(arg('--rand', '0.1'));
const cutMode = arg('--cut', 'destroy');
const url = `http://127.0.0.1:${port}`;

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Per-socket state. */
const clients = [];
let expectK = 0;
let cutUs = 0;        // when this process cut its sockets (0: not cut since arm)
let doneCount = 0;    // sockets complete since the cut
let wakeWait = null;  // re-checks a pending `wait`/`waitev`/`roomwait`
// How late this process's event loop runs from the cut to the end of the
// wait: how much of a socket's time was the client's own backlog.
let loopDelay = null;

function fresh(c) {
  c.got = [];          // "m" arguments, in arrival order
  c.evCount = {};      // other events by name
  c.roomOk = 0;        // "r" events naming its own room
  c.roomWrong = 0;     // "r" events naming another room
  c.id0 = c.s?.id;     // the socket id before the cut
  c.cutUs = 0;         // when its transport was cut
  c.attemptUs = 0;     // first reconnect attempt after the cut
  c.connectUs = 0;     // first `connect` after the cut
  c.recovered = null;  // socket.recovered at that connect
  c.sameId = null;
  c.doneUs = 0;        // recovered and all K events
  c.reconnects = 0;    // `connect` events after the cut (1 unless it dropped again)
}

function check(c) {
  if (c.doneUs || !cutUs || !c.recovered) return;
  if (c.got.length >= expectK) {
    c.doneUs = nowUs();
    doneCount++;
    if (wakeWait) wakeWait();
  }
}

function open(i) {
  const c = { i, room: `r${Math.floor((base + i) / roomSize)}`, ok: false };
  const s = io(url, {
    path,
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: delay,
    reconnectionDelayMax: Math.max(5000, delay),
    randomizationFactor: rand,
    timeout: 20000,
    perMessageDeflate: false,
  });
  c.s = s;
  fresh(c);
  s.io.on('reconnect_attempt', () => { if (cutUs && !c.attemptUs) c.attemptUs = nowUs(); });
  s.on('connect', () => {
    if (!cutUs) return;
    c.reconnects++;
    if (c.connectUs) return;
    c.connectUs = nowUs();
    c.recovered = s.recovered === true;
    c.sameId = s.id === c.id0;
    check(c);
  });
  s.on('m', (j) => {
    c.got.push(j);
    check(c);
  });
  s.on('r', (room) => {
    if (room === c.room) c.roomOk++;
    else c.roomWrong++;
    if (wakeWait) wakeWait();
  });
  s.onAny((name) => {
    if (name === 'm' || name === 'r') return;
    c.evCount[name] = (c.evCount[name] || 0) + 1;
    if (wakeWait) wakeWait();
  });
  return c;
}

async function connect(n, conc) {
  const t0 = performance.now();
  let ok = 0, failed = 0, next = 0;
  const from = clients.length;
  const one = () => new Promise((resolve) => {
    const c = open(from + next++);
    clients.push(c);
    const timer = setTimeout(() => { c.s.disconnect(); failed++; resolve(); }, 20000);
    c.s.once('connect', () => { clearTimeout(timer); c.ok = true; c.id0 = c.s.id; ok++; resolve(); });
    c.s.once('connect_error', () => { clearTimeout(timer); c.s.disconnect(); failed++; resolve(); });
  });
  const worker = async () => { while (next < n) await one(); };
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
  out({ ev: 'connected', ok, failed, ms: performance.now() - t0, cpu_ms: cpuMs() });
}

const live = () => clients.filter((c) => c.ok);

/** Resolves once `done()` holds or after ms; re-checked on every event. */
function until(done, ms) {
  return new Promise((resolve) => {
    const finish = () => { clearTimeout(timer); clearInterval(tick); wakeWait = null; resolve(); };
    const timer = setTimeout(finish, ms);
    const tick = setInterval(() => { if (done()) finish(); }, 50);
    wakeWait = () => { if (done()) finish(); };
    if (done()) finish();
  });
}

async function join(ms) {
  const cs = live();
  let n = 0;
  await Promise.all(cs.map((c) => new Promise((resolve) => {
    c.s.timeout(ms).emit('join', c.room, (err) => { if (!err) n++; resolve(); });
  })));
  out({ ev: 'joined', n, of: cs.length });
}

function cut() {
  const cs = live();
  for (const c of clients) fresh(c);
  doneCount = 0;
  const cpu0 = cpuMs();
  loopDelay?.disable();
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  cutUs = nowUs();
  for (const c of cs) {
    c.cutUs = nowUs();
    if (cutMode === 'destroy') c.s.io.engine.transport.ws._socket.destroy();
    else c.s.io.engine.close();
  }
  out({ ev: 'cut', n: cs.length, us: cutUs, loopMs: (nowUs() - cutUs) / 1000, cpu0, mode: cutMode });
}

async function wait(ms) {
  const cs = live();
  await until(() => doneCount >= cs.length, ms);
  loopDelay?.disable();
  const lag = loopDelay && loopDelay.count ? { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6,
                                               max: loopDelay.max / 1e6 } : null;
  // Times from each socket's own cut (the loop above: within a few ms)
  const rel = (us, c) => (us ? us - c.cutUs : -1);
  let recovered = 0, fresh_ = 0, notReconnected = 0, complete = 0, sameId = 0, missing = 0, dups = 0,
    outOfOrder = 0, reconnectedAgain = 0, noAttempt = 0;
  const examples = [];
  for (const c of cs) {
    if (!c.attemptUs) noAttempt++;
    if (!c.connectUs) notReconnected++;
    else if (c.recovered) recovered++;
    else fresh_++;
    if (c.sameId) sameId++;
    if (c.reconnects > 1) reconnectedAgain++;
    const uniq = new Set(c.got);
    const d = c.got.length - uniq.size;
    let inOrder = true;
    for (let k = 0; k < c.got.length; k++) if (c.got[k] !== k) inOrder = false;
    let miss = 0;
    for (let k = 0; k < expectK; k++) if (!uniq.has(k)) miss++;
    missing += miss;
    dups += d;
    if (!inOrder && d === 0 && miss === 0) outOfOrder++;
    if (c.doneUs && miss === 0 && d === 0 && inOrder) complete++;
    if ((miss || d || !inOrder || !c.recovered) && examples.length < 5) {
      examples.push({ i: base + c.i, connected: !!c.connectUs, recovered: c.recovered, sameId: c.sameId, got: c.got.slice(0, 10) });
    }
  }
  out({
    ev: 'storm', n: cs.length, k: expectK, complete, recovered, fresh: fresh_, notReconnected, noAttempt,
    sameId, missing, dups, outOfOrder, reconnectedAgain, examples,
    cutUs, doneUs: cs.map((c) => rel(c.doneUs, c)), attemptUs: cs.map((c) => rel(c.attemptUs, c)),
    connectUs: cs.map((c) => rel(c.connectUs, c)), lastDoneUs: Math.max(0, ...cs.map((c) => c.doneUs)),
    firstAttemptUs: Math.min(...cs.map((c) => c.attemptUs || Infinity)),
    cpu_ms: cpuMs(), loopDelayMs: lag,
  });
}

async function waitEv(name, ms) {
  const cs = live();
  await until(() => cs.every((c) => c.evCount[name] > 0), ms);
  out({ ev: 'waitev', name, ok: cs.filter((c) => c.evCount[name] > 0).length, of: cs.length });
}

async function roomWait(ms) {
  const cs = live();
  await until(() => cs.every((c) => c.roomOk > 0), ms);
  out({ ev: 'rooms', ok: cs.filter((c) => c.roomOk === 1).length, of: cs.length,
        none: cs.filter((c) => c.roomOk === 0).length, twice: cs.filter((c) => c.roomOk > 1).length,
        wrong: cs.reduce((a, c) => a + c.roomWrong, 0) });
}

// Commands run one at a time, in order.
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  const run = async () => {
    switch (cmd) {
      case 'connect': await connect(Number(a), Number(b || 100)); break;
      case 'sids': out({ ev: 'sids', sids: clients.map((c) => (c.ok ? c.s.io.engine?.id ?? null : null)) }); break;
      case 'ids': out({ ev: 'ids', eids: live().map((c) => c.s.io.engine?.id ?? null), sids: live().map((c) => c.s.id) }); break;
      case 'join': await join(Number(a || 30000)); break;
      case 'arm':
        expectK = Number(a);
        cutUs = 0;
        doneCount = 0;
        for (const c of clients) fresh(c);
        out({ ev: 'armed', k: expectK });
        break;
      case 'waitev': await waitEv(a, Number(b || 10000)); break;
      case 'cut': cut(); break;
      case 'wait': await wait(Number(a || 30000)); break;
      case 'roomwait': await roomWait(Number(a || 10000)); break;
      case 'stats': out({ ev: 'stats', n: live().length, cpu_ms: cpuMs(), rssKb: Math.round(process.memoryUsage().rss / 1024) }); break;
      case 'quit': process.exit(0); break;
      default: out({ ev: 'error', what: `unknown command ${cmd}` });
    }
  };
  queue = queue.then(run, run);
}).on('close', () => process.exit(0));

out({ ev: 'ready' });
