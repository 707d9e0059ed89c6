// scripts/soak.mjs
// The soak driver behind scripts/soak. The coordinator starts sio-server
// (normally the ASan+UBSan build) on 127.0.0.1 with a chat hub, forks worker
// processes that hold the clients, sends numbered messages through the REST
// API (@azure/web-pubsub) to rooms and to the namespace, samples the
// server's RSS, then stops everything and writes SOAK.md.
//
// Clients are raw Engine.IO/Socket.IO over `ws` (light enough that the
// driver is never the bottleneck). Each one connects, joins a room
// (`join`, acked by the chat handler once the hub has the membership),
// emits `message` with an ack at a bounded rate and expects every ack once
// and its own chat message back once (the chat fans out to the room, sender
// included). A churn cohort closes (cleanly or abruptly) and reconnects into
// a new room periodically.
//
// Accounting, per client session (one Engine.IO connection):
// - REST sends: expected when issued after the session's join ack arrived
//   and, for a session that ended, answered at least LEAVE_GRACE_MS before
//   it closed (a churn client drains its own acks before it leaves, but a
//   broadcast still in flight when it closes is legitimately not seen).
//   lost = expected and never seen by the end of the grace period;
//   duplicated = the same number seen twice by one session; misrouted = a
//   room's number seen by a session not in that room.
// - acks: every emit is answered exactly once (missing = unanswered when
//   the session leaves or after the grace period; duplicate = an ack id
//   answered twice or never asked).
// - own chat messages: every emitted `message` comes back once.
//
//   node scripts/soak.mjs --seconds 600 --build build-soak-asan
// Environment (defaults): SOAK_CLIENTS (2000), SOAK_ROOM_SIZE (10),
// SOAK_CHURN (0.1, fraction of clients that reconnect), SOAK_EMIT_MS (5000,
// per-client emit interval), SOAK_REST_MS (100, REST send interval; every
// 4th goes to the namespace), SOAK_PER_WORKER (800 clients per worker
// process), SOAK_SERVER (the binary, default BUILD/examples/sio-server/
// sio-server), SOAK_OUT (SOAK.md), SOAK_RSS_MARGIN (0.10) and
// SOAK_RSS_SLACK_MB (8): the end RSS may exceed the warm-up RSS by
// margin * warm-up + slack. SOAK_DEBUG=1 logs each worker's clients by
// phase every 5 s.
import { spawn, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const HUB = 'soak';
const LEAVE_GRACE_MS = 5000;   // see the accounting notes above
const DRAIN_MS = 10000;        // a leaving client waits this long for its acks
const FINAL_GRACE_MS = 20000;  // after the load stops, for the last deliveries
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const envNum = (n, d) => (process.env[n] !== undefined && process.env[n] !== '' ? Number(process.env[n]) : d);

// ============================================================= histogram

/** Latency counts by whole millisecond (sparse), mergeable across processes. */
class Histogram {
  constructor(obj = {}) { this.m = new Map(Object.entries(obj).map(([k, v]) => [Number(k), v])); }
  add(ms) { const k = Math.max(0, Math.round(ms)); this.m.set(k, (this.m.get(k) ?? 0) + 1); }
  merge(obj) { for (const [k, v] of Object.entries(obj)) this.m.set(Number(k), (this.m.get(Number(k)) ?? 0) + v); }
  toJSON() { return Object.fromEntries(this.m); }
  get count() { let n = 0; for (const v of this.m.values()) n += v; return n; }
  quantile(q) {
    const keys = [...this.m.keys()].sort((a, b) => a - b);
    const total = this.count;
    if (!total) return null;
    let seen = 0;
    for (const k of keys) { seen += this.m.get(k); if (seen >= q * total) return k; }
    return keys[keys.length - 1];
  }
}

// ============================================================= worker

async function workerMain() {
  const { default: WebSocket } = await import('ws');
  let cfg = null;
  let stopped = false;     // no more emits, churn or reconnects
  let closing = false;     // every close from now on is ours
  const clients = [];
  const archived = [];     // ended sessions that had joined
  const ackLatency = new Histogram();
  const restLatency = new Histogram();
  const st = {
    sessions: 0, opened: 0, connected: 0, joins: 0, connectErrors: 0, joinErrors: 0,
    unexpectedCloses: 0, cleanLeaves: 0, abruptLeaves: 0,
    emits: 0, acksOk: 0, acksError: 0, ackDuplicates: 0, acksMissing: 0,
    echoSeen: 0, echoDuplicates: 0, echoMissing: 0, chatFromOthers: 0, chatMisrouted: 0,
    systemNotices: 0, restSeen: 0,
  };
  let leaves = 0;      // alternates clean and abrupt leaves
  const errors = [];  // first few unexpected things, for the report
  const note = (s) => { if (errors.length < 20) errors.push(s); };

  const url = () => `ws://127.0.0.1:${cfg.port}/clients/socketio/hubs/${HUB}/?EIO=4&transport=websocket`;
  const roomName = (i) => `room-${i}`;
  const rand = (a, b) => a + Math.random() * (b - a);

  function newSession(c) {
    const s = {
      c, no: ++c.sessions, ws: null, room: c.churn ? Math.floor(Math.random() * cfg.rooms) : c.id % cfg.rooms,
      phase: 'connecting', joinMs: null, leaveMs: null, nextAck: 0, acks: new Map(),
      echo: new Map(), echoDone: new Set(), recv: new Uint8Array(1024), emitted: 0,
      emitTimer: null, leaveTimer: null, hsTimer: null, deliberate: false, sid: null, t: {},
    };
    st.sessions++;
    return s;
  }

  function sendPkt(s, text) {
    if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.send(text);
  }

  function emitAck(s, kind, json, extra = {}) {
    const id = s.nextAck++;
    s.acks.set(id, { kind, t: Date.now(), ...extra });
    sendPkt(s, `42${id}${json}`);
  }

  function connect(c) {
    const s = newSession(c);
    c.cur = s;
    const ws = new WebSocket(url(), { perMessageDeflate: false, handshakeTimeout: 60000 });
    s.ws = ws;
    const t0 = Date.now();
    const hsTimer = s.hsTimer = setTimeout(() => {
      if (s.phase !== 'joined' && s.phase !== 'closed') {
        // Counted as a failed connect; an unanswered join also as a missing ack.
        st.connectErrors++;
        const at = (k) => (s.t[k] === undefined ? '-' : `${s.t[k] - t0}ms`);
        note(`client ${c.id} sid ${s.sid}: not joined within 60 s (phase ${s.phase}; ws open ${at('open')},` +
          ` eio open ${at('eio')}, CONNECT ack ${at('connected')}, join sent ${at('join')}; at ${new Date().toISOString()})`);
        s.deliberate = true;
        s.leaveMs = Date.now();
        finishSession(s);
        ws.terminate();
        if (!stopped) setTimeout(() => { if (!stopped) connect(c); }, 1000);
      }
    }, 60000);
    ws.on('open', () => { st.opened++; s.phase = 'open'; s.t.open = Date.now(); });
    ws.on('message', (data, isBinary) => {
      if (isBinary) { note(`client ${c.id}: unexpected binary frame`); return; }
      onPacket(s, data.toString());
    });
    ws.on('error', (e) => { if (s.phase === 'connecting') note(`client ${c.id}: ${e.message}`); });
    ws.on('close', (code) => {
      clearTimeout(hsTimer);
      clearInterval(s.emitTimer);
      clearTimeout(s.leaveTimer);
      const was = s.phase;
      s.phase = 'closed';
      if (!s.deliberate && !closing) {
        st.unexpectedCloses++;
        note(`client ${c.id} session ${s.no}: closed by the server (code ${code}) in phase ${was}`);
        if (s.leaveMs === null) s.leaveMs = Date.now();
        finishSession(s);
        if (!stopped) setTimeout(() => { if (!stopped) connect(c); }, 1000);
      }
    });
  }

  /** Moves an ended session to the archive; its open acks count as missing. */
  function finishSession(s) {
    st.acksMissing += s.acks.size;
    st.echoMissing += s.echo.size;
    if (s.acks.size || s.echo.size) note(`client ${s.c.id} session ${s.no}: ${s.acks.size} acks, ${s.echo.size} echoes missing at leave`);
    s.acks.clear();
    s.echo.clear();
    if (s.joinMs !== null) archived.push({ room: s.room, joinMs: s.joinMs, leaveMs: s.leaveMs, recv: s.recv });
  }

  function onPacket(s, p) {
    const c = s.c;
    switch (p[0]) {
      case '0':
        s.t.eio = Date.now();
        try { s.sid = JSON.parse(p.slice(1)).sid; } catch { /* reported by the server's behaviour */ }
        sendPkt(s, `40{"name":"c${c.id}"}`);
        return;
      case '2': sendPkt(s, '3'); return;
      case '1': return;  // close: the 'close' event follows
      case '4': break;
      default: note(`client ${c.id}: unexpected packet ${p.slice(0, 40)}`); return;
    }
    const t = p[1];
    if (t === '0') {  // CONNECT ack
      st.connected++;
      s.phase = 'connected';
      s.t.connected = s.t.join = Date.now();
      emitAck(s, 'join', `["join","${roomName(s.room)}"]`);
      return;
    }
    if (t === '4') { st.connectErrors++; note(`client ${c.id}: CONNECT_ERROR ${p}`); return; }
    if (t === '1') { note(`client ${c.id}: DISCONNECT from the server`); return; }
    if (t === '3') {  // ACK: 43<id>[...]
      const b = p.indexOf('[');
      const id = Number(p.slice(2, b));
      const a = s.acks.get(id);
      if (!a) { st.ackDuplicates++; note(`client ${c.id}: ack ${id} not expected`); return; }
      s.acks.delete(id);
      ackLatency.add(Date.now() - a.t);
      let ok = false;
      try { ok = JSON.parse(p.slice(b))[0]?.ok === true; } catch { /* counted below */ }
      if (!ok) {
        st.acksError++;
        note(`client ${c.id}: ${a.kind} failed: ${p.slice(0, 120)}`);
        if (a.kind === 'msg') s.echo.delete(a.text);
        if (a.kind === 'join') st.joinErrors++;
        return;
      }
      st.acksOk++;
      if (a.kind === 'join') {
        st.joins++;
        clearTimeout(s.hsTimer);
        c.everJoined = true;
        s.joinMs = Date.now();
        s.phase = 'joined';
        startLoad(s);
      }
      return;
    }
    if (t !== '2') { note(`client ${c.id}: unexpected packet ${p.slice(0, 40)}`); return; }
    let ev;
    try { ev = JSON.parse(p.slice(2)); } catch { note(`client ${c.id}: bad event ${p.slice(0, 60)}`); return; }
    const [name, arg] = ev;
    if (name === 'rest') {
      st.restSeen++;
      restLatency.add(Date.now() - arg.t);
      if (arg.s >= s.recv.length) {
        const grown = new Uint8Array(Math.max(arg.s + 1, s.recv.length * 2));
        grown.set(s.recv);
        s.recv = grown;
      }
      if (s.recv[arg.s] < 255) s.recv[arg.s]++;
    } else if (name === 'message') {
      if (arg.from === `c${c.id}`) {
        if (s.echo.has(arg.text)) { s.echo.delete(arg.text); s.echoDone.add(arg.text); st.echoSeen++; }
        else if (s.echoDone.has(arg.text)) { st.echoDuplicates++; note(`client ${c.id}: own message twice: ${arg.text}`); }
        else note(`client ${c.id}: own message never sent: ${arg.text}`);
      } else {
        st.chatFromOthers++;
        if (arg.room !== roomName(s.room)) { st.chatMisrouted++; note(`client ${c.id} in ${roomName(s.room)} got chat of ${arg.room}`); }
      }
    } else if (name === 'system') {
      st.systemNotices++;
    } else {
      note(`client ${c.id}: unexpected event ${name}`);
    }
  }

  function startLoad(s) {
    if (stopped) return;
    const emit = () => {
      if (stopped || s.phase !== 'joined' || s.acks.size >= 4) return;
      const text = `c${s.c.id}.${s.no}.${++s.emitted}`;
      s.echo.set(text, Date.now());
      st.emits++;
      emitAck(s, 'msg', `["message",{"room":"${roomName(s.room)}","text":"${text}"}]`, { text });
    };
    setTimeout(() => { emit(); s.emitTimer = setInterval(emit, cfg.emitMs); }, Math.random() * cfg.emitMs);
    if (s.c.churn) s.leaveTimer = setTimeout(() => leave(s), rand(cfg.churnMinMs, cfg.churnMaxMs));
  }

  /** Churn: drain own acks and echoes (bounded), then close and come back. */
  async function leave(s) {
    if (s.phase !== 'joined') return;
    s.phase = 'leaving';
    clearInterval(s.emitTimer);
    const until = Date.now() + DRAIN_MS;
    while ((s.acks.size || s.echo.size) && Date.now() < until && s.phase === 'leaving') await sleep(100);
    if (s.phase !== 'leaving') return;  // the server closed it meanwhile
    s.leaveMs = Date.now();
    s.deliberate = true;
    finishSession(s);
    if (++leaves % 2) {
      st.cleanLeaves++;
      sendPkt(s, '41');
      s.ws.close(1000);
    } else {
      st.abruptLeaves++;
      s.ws.terminate();
    }
    if (!stopped) setTimeout(() => { if (!stopped) connect(s.c); }, rand(200, 1500));
  }

  function evaluate(sends, failed) {
    const byRoom = new Map();
    const ns = [];
    const sendMap = new Map();
    for (const e of sends) {
      sendMap.set(e[0], e);
      if (e[1] < 0) ns.push(e);
      else { if (!byRoom.has(e[1])) byRoom.set(e[1], []); byRoom.get(e[1]).push(e); }
    }
    const failedSet = new Set(failed);
    const r = { restExpected: 0, restLost: 0, restDuplicates: 0, restMisrouted: 0, restUnlogged: 0, restReceived: 0,
      sessionsChecked: 0, lostSamples: [] };
    const check = (sess, live) => {
      r.sessionsChecked++;
      const want = (e) => e[2] > sess.joinMs && (live || e[3] + LEAVE_GRACE_MS < sess.leaveMs);
      for (const list of [ns, byRoom.get(sess.room) ?? []]) {
        for (const e of list) {
          if (!want(e)) continue;
          r.restExpected++;
          if (!(e[0] < sess.recv.length && sess.recv[e[0]] > 0)) {
            r.restLost++;
            if (r.lostSamples.length < 5) r.lostSamples.push({ seq: e[0], room: e[1], issue: e[2], join: sess.joinMs, leave: sess.leaveMs });
          }
        }
      }
      for (let q = 1; q < sess.recv.length; q++) {
        const n = sess.recv[q];
        if (!n) continue;
        r.restReceived += n;
        if (n > 1) r.restDuplicates += n - 1;
        const e = sendMap.get(q);
        if (e) { if (e[1] >= 0 && e[1] !== sess.room) r.restMisrouted++; }
        else if (!failedSet.has(q)) r.restUnlogged++;
      }
    };
    for (const a of archived) check(a, false);
    for (const c of clients) if (c.cur && c.cur.phase === 'joined' && c.cur.joinMs !== null) check(c.cur, true);
    return r;
  }

  function pending() {
    let acks = 0;
    let echo = 0;
    for (const c of clients) if (c.cur && c.cur.phase !== 'closed') { acks += c.cur.acks.size; echo += c.cur.echo.size; }
    return { acks, echo };
  }

  function progress() {
    let live = 0;
    let joined = 0;
    for (const c of clients) {
      if (c.cur && c.cur.phase !== 'closed') live++;
      if (c.cur && c.cur.phase === 'joined') joined++;
    }
    const phases = {};
    for (const c of clients) if (c.cur && c.cur.phase !== 'joined') phases[c.cur.phase] = (phases[c.cur.phase] ?? 0) + 1;
    return { live, joined, everJoined: clients.filter((c) => c.everJoined).length, phases, never: clients.filter((c) => !c.cur).length, ...st };
  }

  process.on('message', async (m) => {
    if (m.type === 'start') {
      cfg = m.cfg;
      for (const def of cfg.clients) clients.push({ id: def.id, churn: def.churn, sessions: 0, cur: null, everJoined: false });
      // Ramp: at most cfg.rampPerSec new connections per second and at
      // most 32 of this worker's clients between connect and join ack, so
      // that a slow (sanitized, shared) server is not buried in handshakes.
      const gap = 1000 / cfg.rampPerSec;
      const joining = () => clients.filter((c) => c.sessions === 1 && c.cur
        && ['connecting', 'open', 'connected'].includes(c.cur.phase)).length;
      for (let i = 0; i < clients.length && !stopped; i++) {
        while (joining() >= 32 && !stopped) await sleep(20);
        connect(clients[i]);
        await sleep(gap);
      }
    } else if (m.type === 'progress') {
      process.send({ type: 'progress', p: progress() });
    } else if (m.type === 'stop') {
      stopped = true;
      for (const c of clients) if (c.cur) { clearInterval(c.cur.emitTimer); clearTimeout(c.cur.leaveTimer); }
      process.send({ type: 'stopped' });
    } else if (m.type === 'finish') {
      // Wait (bounded) until nothing is missing any more, then report.
      const until = Date.now() + m.graceMs;
      let r;
      for (;;) {
        r = evaluate(m.sends, m.failed);
        const p = pending();
        if ((r.restLost === 0 && p.acks === 0 && p.echo === 0) || Date.now() >= until) break;
        await sleep(500);
      }
      const p = pending();
      const cpu = process.cpuUsage();
      const out = { ...progress(), ...r, cpuS: (cpu.user + cpu.system) / 1e6, acksMissing: st.acksMissing + p.acks, echoMissing: st.echoMissing + p.echo,
        ackLatency: ackLatency.toJSON(), restLatency: restLatency.toJSON(), errors };
      process.send({ type: 'result', r: out });
    } else if (m.type === 'close') {
      closing = true;
      for (const c of clients) {
        if (c.cur && c.cur.ws && c.cur.phase !== 'closed') { c.cur.deliberate = true; sendPkt(c.cur, '41'); c.cur.ws.close(1000); }
      }
      const until = Date.now() + 15000;
      while (clients.some((c) => c.cur && c.cur.phase !== 'closed') && Date.now() < until) await sleep(100);
      for (const c of clients) if (c.cur && c.cur.phase !== 'closed') c.cur.ws.terminate();
      process.send({ type: 'closed' }, () => process.exit(0));
    }
  });
  process.send({ type: 'ready' });
}

// ============================================================= coordinator

async function coordinatorMain() {
  const argv = process.argv.slice(2);
  const opt = (n, d) => (argv.indexOf(n) >= 0 ? argv[argv.indexOf(n) + 1] : d);
  const seconds = Number(opt('--seconds', '600'));
  const build = path.resolve(repo, opt('--build', 'build-soak-asan'));
  const N = envNum('SOAK_CLIENTS', 2000);
  const roomSize = envNum('SOAK_ROOM_SIZE', 10);
  const churn = envNum('SOAK_CHURN', 0.1);
  const emitMs = envNum('SOAK_EMIT_MS', 5000);
  const restMs = envNum('SOAK_REST_MS', 100);
  const perWorker = envNum('SOAK_PER_WORKER', 800);
  const rssMargin = envNum('SOAK_RSS_MARGIN', 0.10);
  const rssSlackKb = envNum('SOAK_RSS_SLACK_MB', 8) * 1024;
  const out = path.resolve(repo, process.env.SOAK_OUT || 'SOAK.md');
  const bin = path.resolve(repo, process.env.SOAK_SERVER || path.join(build, 'examples/sio-server/sio-server'));
  if (!(seconds >= 10) || !(N >= 1)) throw new Error('need --seconds >= 10 and SOAK_CLIENTS >= 1');
  const rooms = Math.max(1, Math.ceil(N / roomSize));
  const workers = Math.max(1, Math.ceil(N / perWorker));
  const rampPerSec = 200;  // all workers together
  const log = (...a) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);
  const { WebPubSubServiceClient } = await import('@azure/web-pubsub');

  // ---- the server
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-soak-'));
  const cfgFile = path.join(tmp, 'config.json');
  const logFile = path.join(tmp, 'server.log');
  fs.writeFileSync(cfgFile, JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    hubs: { [HUB]: { anonymousConnectPolicy: 'allow', inProcessHandler: 'chat' } },
  }, null, 2));
  // A small ASan quarantine: the default (256 MiB of freed memory held back)
  // fills slowly and would read as RSS growth. Leak checking stays on: a
  // leak report at exit fails the soak.
  const env = {
    ...process.env,
    ASAN_OPTIONS: `quarantine_size_mb=16:detect_leaks=1${process.env.ASAN_OPTIONS ? ':' + process.env.ASAN_OPTIONS : ''}`,
    UBSAN_OPTIONS: `print_stacktrace=1${process.env.UBSAN_OPTIONS ? ':' + process.env.UBSAN_OPTIONS : ''}`,
  };
  const logOut = fs.createWriteStream(logFile);
  const server = spawn(bin, ['--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const sanitizer = [];
  const tail = [];
  let serverExit = null;
  const exitP = new Promise((r) => server.on('exit', (code, signal) => { serverExit = { code, signal }; r(serverExit); }));
  const onLine = (line) => {
    logOut.write(line + '\n');
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/.test(line) && sanitizer.length < 20) sanitizer.push(line);
  };
  readline.createInterface({ input: server.stdout }).on('line', onLine);
  readline.createInterface({ input: server.stderr }).on('line', onLine);
  const kids = new Set();
  process.on('exit', () => {
    for (const k of kids) try { k.kill('SIGKILL'); } catch { /* gone */ }
    if (serverExit === null) try { server.kill('SIGKILL'); } catch { /* gone */ }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

  const startDeadline = Date.now() + 60000;
  let connLine = null;
  while (!connLine && Date.now() < startDeadline && serverExit === null) {
    connLine = tail.find((l) => /connection string: Endpoint=/.test(l)) ?? null;
    if (!connLine) await sleep(50);
  }
  if (!connLine) { log('sio-server did not start:\n' + tail.join('\n')); process.exit(1); }
  const connStr = connLine.slice(connLine.indexOf('Endpoint='));
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(connStr)[1]);
  log(`sio-server pid ${server.pid} on 127.0.0.1:${port} (${path.relative(repo, bin)}), log ${logFile}`);
  const svc = new WebPubSubServiceClient(connStr, HUB, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

  /** CPU seconds the server has used so far (utime + stime). */
  const cpuS = () => {
    try {
      const stat = fs.readFileSync(`/proc/${server.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;  // USER_HZ
    } catch { return null; }
  };
  const rssKb = () => {
    try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]); } catch { return null; }
  };

  // ---- the workers
  const ids = Array.from({ length: N }, (_, i) => ({ id: i, churn: (i % Math.round(1 / Math.max(churn, 1e-9))) === 0 && churn > 0 }));
  const procs = [];
  for (let w = 0; w < workers; w++) {
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.add(child);
    const p = { child, inbox: [], waiters: [], exited: false };
    child.on('message', (m) => {
      const i = p.waiters.findIndex((x) => x.type === m.type);
      if (i >= 0) p.waiters.splice(i, 1)[0].resolve(m); else p.inbox.push(m);
    });
    child.on('exit', () => { p.exited = true; kids.delete(child); for (const x of p.waiters) x.resolve(null); p.waiters.length = 0; });
    procs.push(p);
  }
  /** Next message of `type` from worker p, or null after ms / when it died. */
  const recv = (p, type, ms) => new Promise((resolve) => {
    const i = p.inbox.findIndex((m) => m.type === type);
    if (i >= 0) { resolve(p.inbox.splice(i, 1)[0]); return; }
    if (p.exited) { resolve(null); return; }
    const w = { type, resolve };
    p.waiters.push(w);
    setTimeout(() => { const j = p.waiters.indexOf(w); if (j >= 0) { p.waiters.splice(j, 1); resolve(null); } }, ms);
  });
  const ask = async (type, reply, ms, extra = {}) => Promise.all(procs.map(async (p) => {
    if (p.exited) return null;
    p.child.send({ type, ...extra });
    return recv(p, reply, ms);
  }));
  await Promise.all(procs.map((p) => recv(p, 'ready', 10000)));
  const cohortChurn = ids.filter((x) => x.churn).length;
  log(`${N} clients (${cohortChurn} reconnecting) in ${workers} workers, ${rooms} rooms, ${seconds} s`);
  procs.forEach((p, w) => p.child.send({ type: 'start', cfg: {
    port, rooms, emitMs, churnMinMs: 10000, churnMaxMs: 30000, rampPerSec: rampPerSec / workers,
    clients: ids.filter((_, i) => Math.floor((i * workers) / N) === w),
  } }));

  // ---- the load phase
  const t0 = Date.now();
  const cpu0 = cpuS();
  const endAt = t0 + seconds * 1000;
  const warmAt = t0 + seconds * 200;
  const sends = [];     // [seq, room or -1, issueMs, doneMs]
  const failed = [];    // seqs whose REST call failed
  const restErrors = [];
  let seq = 0;
  let inFlight = 0;
  let skipped = 0;
  const restLat = new Histogram();
  const rssSeries = [];
  let warm = null;
  let warmNote = '';
  let lastProgress = null;
  let tick = 0;
  const restTimer = setInterval(() => {
    if (inFlight >= 8) { skipped++; return; }
    const n = ++seq;
    const room = tick++ % 4 === 3 ? -1 : (tick * 7919) % rooms;
    const group = room < 0 ? `0~${b64u('/')}~` : `0~${b64u('/')}~${b64u(`room-${room}`)}`;
    const issue = Date.now();
    inFlight++;
    svc.group(group).sendToAll(`42["rest",{"s":${n},"t":${issue}}]`, { contentType: 'text/plain' })
      .then(() => { const done = Date.now(); restLat.add(done - issue); sends.push([n, room, issue, done]); })
      .catch((e) => { failed.push(n); if (restErrors.length < 10) restErrors.push(`seq ${n}: ${e.message}`); })
      .finally(() => { inFlight--; });
  }, restMs);

  let crashed = false;
  while (Date.now() < endAt) {
    await sleep(Math.min(5000, endAt - Date.now()));
    if (serverExit !== null) { crashed = true; log(`sio-server exited during the load: ${JSON.stringify(serverExit)}`); break; }
    const rss = rssKb();
    const rs = await ask('progress', 'progress', 5000);
    const sum = (k) => rs.reduce((a, m) => a + (m?.p?.[k] ?? 0), 0);
    lastProgress = { live: sum('live'), joined: sum('joined'), everJoined: sum('everJoined'), emits: sum('emits'),
      restSeen: sum('restSeen'), unexpected: sum('unexpectedCloses'), errors: sum('acksError') + sum('connectErrors') };
    if (process.env.SOAK_DEBUG) log(JSON.stringify(rs.map((m) => [m?.p?.phases, m?.p?.never])));
    rssSeries.push([Math.round((Date.now() - t0) / 1000), rss]);
    if (!warm && Date.now() >= warmAt && lastProgress.everJoined >= N) {
      warm = { atS: Math.round((Date.now() - t0) / 1000), kb: rss };
      log(`warm-up RSS ${(rss / 1024).toFixed(1)} MiB`);
    }
    log(`t=${Math.round((Date.now() - t0) / 1000)}s live ${lastProgress.live} joined ${lastProgress.joined}` +
      ` emits ${lastProgress.emits} rest sent ${sends.length} seen ${lastProgress.restSeen}` +
      ` unexpected closes ${lastProgress.unexpected} errors ${lastProgress.errors} RSS ${(rss / 1024).toFixed(1)} MiB`);
  }
  clearInterval(restTimer);
  const loadS = (Date.now() - t0) / 1000;
  const serverCpu = cpuS() - cpu0;
  if (!warm) {
    warmNote = 'not every client had joined by the end of the warm-up; ';
    warm = rssSeries.length ? { atS: rssSeries[Math.floor(rssSeries.length / 5)][0], kb: rssSeries[Math.floor(rssSeries.length / 5)][1] } : null;
  }

  // ---- drain and account
  const drainUntil = Date.now() + 30000;
  while (inFlight > 0 && Date.now() < drainUntil) await sleep(50);
  await ask('stop', 'stopped', 10000);
  log(`load stopped; ${sends.length} REST sends answered, ${failed.length} failed; waiting up to ${FINAL_GRACE_MS / 1000} s for deliveries`);
  const results = await ask('finish', 'result', FINAL_GRACE_MS + 60000,
    { sends, failed, graceMs: crashed ? 1000 : FINAL_GRACE_MS });
  const endRss = rssKb();
  await ask('close', 'closed', 30000);
  for (const p of procs) if (!p.exited) p.child.kill('SIGKILL');

  // ---- stop the server
  if (serverExit === null) server.kill('SIGTERM');
  const stopT = Date.now();
  const ex = await Promise.race([exitP, sleep(120000).then(() => null)]);
  if (!ex) { server.kill('SIGKILL'); await exitP; }
  const stopS = ((Date.now() - stopT) / 1000).toFixed(1);
  await new Promise((r) => logOut.end(r));

  // ---- verdict
  const tot = {};
  const ackLat = new Histogram();
  const delLat = new Histogram();
  const workerErrors = [];
  const lostSamples = [];
  let missingWorkers = 0;
  for (const m of results) {
    if (!m) { missingWorkers++; continue; }
    for (const [k, v] of Object.entries(m.r)) if (typeof v === 'number') tot[k] = (tot[k] ?? 0) + v;
    ackLat.merge(m.r.ackLatency);
    delLat.merge(m.r.restLatency);
    workerErrors.push(...m.r.errors);
    lostSamples.push(...m.r.lostSamples);
  }
  const g = (k) => tot[k] ?? 0;
  const rssLimit = warm ? Math.round(warm.kb * (1 + rssMargin) + rssSlackKb) : null;
  const fails = [];
  if (crashed || !ex || ex.code !== 0) fails.push(`server exit ${JSON.stringify(serverExit)}${crashed ? ' during the load' : ''}`);
  if (sanitizer.length) fails.push(`sanitizer report: ${sanitizer[0]}`);
  if (missingWorkers) fails.push(`${missingWorkers} worker(s) did not report`);
  if (g('restLost')) fails.push(`${g('restLost')} REST deliveries lost`);
  if (g('restDuplicates')) fails.push(`${g('restDuplicates')} REST deliveries duplicated`);
  if (g('restMisrouted') || g('chatMisrouted')) fails.push(`${g('restMisrouted') + g('chatMisrouted')} messages misrouted`);
  if (g('restUnlogged')) fails.push(`${g('restUnlogged')} REST numbers never sent`);
  if (g('acksMissing')) fails.push(`${g('acksMissing')} acks missing`);
  if (g('ackDuplicates')) fails.push(`${g('ackDuplicates')} acks duplicated or unexpected`);
  if (g('acksError')) fails.push(`${g('acksError')} acks with ok:false`);
  if (g('echoMissing')) fails.push(`${g('echoMissing')} own chat messages lost`);
  if (g('echoDuplicates')) fails.push(`${g('echoDuplicates')} own chat messages duplicated`);
  if (g('unexpectedCloses')) fails.push(`${g('unexpectedCloses')} connections closed by the server`);
  if (g('connectErrors')) fails.push(`${g('connectErrors')} connects failed`);
  if (failed.length) fails.push(`${failed.length} REST calls failed (${restErrors[0]})`);
  if (!warm || endRss === null) fails.push('RSS not sampled');
  else if (endRss > rssLimit) fails.push(`RSS grew: ${(warm.kb / 1024).toFixed(1)} -> ${(endRss / 1024).toFixed(1)} MiB (limit ${(rssLimit / 1024).toFixed(1)})`);
  const verdict = fails.length ? 'FAIL' : 'PASS';

  const mib = (kb) => (kb === null || kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
  const q = (h) => (h.count ? `p50 ${h.quantile(0.5)} ms, p99 ${h.quantile(0.99)} ms, max ${h.quantile(1)} ms` : 'n/a');
  const cpu = os.cpus();
  const rows = [
    ['clients (reconnecting cohort)', `${N} (${cohortChurn})`],
    ['sessions (connections opened)', g('sessions')],
    ['joins acked', g('joins')],
    ['leaves: clean / abrupt', `${g('cleanLeaves')} / ${g('abruptLeaves')}`],
    ['emits with ack', g('emits')],
    ['acks ok / error / missing / duplicated', `${g('acksOk')} / ${g('acksError')} / ${g('acksMissing')} / ${g('ackDuplicates')}`],
    ['own chat messages back / lost / duplicated', `${g('echoSeen')} / ${g('echoMissing')} / ${g('echoDuplicates')}`],
    ['chat messages from room mates (misrouted)', `${g('chatFromOthers')} (${g('chatMisrouted')})`],
    ['system notices', g('systemNotices')],
    ['REST sends answered / failed / skipped (8 in flight)', `${sends.length} / ${failed.length} / ${skipped}`],
    ['REST deliveries expected / lost', `${g('restExpected')} / ${g('restLost')}`],
    ['REST deliveries received / duplicated / misrouted', `${g('restReceived')} / ${g('restDuplicates')} / ${g('restMisrouted')}`],
    ['connections closed by the server', g('unexpectedCloses')],
    ['ack latency', q(ackLat)],
    ['REST delivery latency (issue to receipt)', q(delLat)],
    ['REST call latency', q(restLat)],
    ['CPU during the load: server / all client workers (of 100% per core)',
      `${Math.round((100 * serverCpu) / loadS)}% / ${Math.round((100 * g('cpuS')) / loadS)}% (${os.cpus().length} cores)`],
    ['server RSS at warm-up', warm ? `${mib(warm.kb)} (t=${warm.atS}s)` : 'n/a'],
    ['server RSS at the end', `${mib(endRss)} (limit ${mib(rssLimit)})`],
    ['server RSS max', mib(Math.max(...rssSeries.map((r) => r[1] ?? 0)))],
    ['server exit', `${JSON.stringify(serverExit)} after SIGTERM (${stopS} s)`],
    ['sanitizer reports', sanitizer.length],
  ];
  const md = [
    '# Soak results',
    '',
    'Written by `scripts/soak` (see its header and `scripts/soak.mjs` for what is counted).',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}, Node ${process.version}`,
    `- server: \`${path.relative(repo, bin)}\` (${/asan/.test(bin) ? 'ASan+UBSan' : 'build as given'}), 127.0.0.1, hub \`${HUB}\` with the chat handler`,
    `- duration: ${seconds} s load + drain; ${N} clients in ${workers} worker processes, ${rooms} rooms, emit every ${emitMs} ms per client, REST send every ${restMs} ms (every 4th to the namespace), reconnect cohort every 10-30 s`,
    '',
    `## Verdict: ${verdict}`,
    '',
    ...(fails.length ? fails.map((f) => `- ${f}`) : ['zero lost, zero duplicated, zero crashes, flat memory.']),
    ...(warmNote ? ['', `Note: ${warmNote.trim()}`] : []),
    '',
    '| measure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `RSS over time (s: MiB): ${rssSeries.map(([s, kb]) => `${s}: ${kb === null ? 'n/a' : (kb / 1024).toFixed(1)}`).join(', ')}`,
    '',
    ...(workerErrors.length ? ['First unexpected events seen by clients:', '', ...workerErrors.slice(0, 10).map((e) => `- ${e}`), ''] : []),
    ...(lostSamples.length ? ['Lost samples:', '', ...lostSamples.slice(0, 5).map((e) => `- ${JSON.stringify(e)}`), ''] : []),
    ...(sanitizer.length ? ['Sanitizer lines:', '', '```', ...sanitizer, '```', ''] : []),
  ].join('\n');
  fs.writeFileSync(out, md);
  console.log(md);
  log(`${verdict}; wrote ${path.relative(repo, out)}; server log ${logFile}`);
  if (verdict === 'PASS') fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(verdict === 'PASS' ? 0 : 1);
}

function b64u(s) { return Buffer.from(s).toString('base64url'); }

// Last, so that every class and function above is initialised.
if (process.argv.includes('--worker')) {
  await workerMain();
} else {
  await coordinatorMain();
}
