// bench/run.mjs
// The benchmark driver behind scripts/bench: starts sio-server (release
// build) and the Node.js socket.io baselines (bench/node-server.mjs: one
// process; a node:cluster of two workers; one process on the eiows engine
// when eiows is installed), drives them with bench/sio-bench-client
// processes, runs each scenario on ours and the Node setups back to back,
// and writes BENCHMARKS.md with the raw results beside it (BENCHMARKS.json,
// which `node bench/report.mjs BENCHMARKS.json BENCHMARKS.md` renders again).
// It reports; it never fails CI.
//
//   node bench/run.mjs --build build-bench [--quick] [--out BENCHMARKS.md]
//   --only idle,fan,echo,rooms,poll,webhook,acks,cluster,recovery runs those scenarios and
//   writes bench-partial.md/.json in the build directory instead;
//   --only <ids> --merge then also puts those sections into
//   BENCHMARKS.json (the other sections kept) and renders BENCHMARKS.md.
//   BENCH_IO_THREADS=n sets ours' ioThreads (default: the service's own).
//   BENCH_SCHEDULER=asio|caf sets ours' scheduler (default: asio).
//   BENCH_RECOVERY_N=n runs the recovery section with n clients in each of
//   its parts (fan-out, kept memory, storm) instead of its sizes: a small
//   check of the section (the report then says so);
//   BENCH_RECOVERY_PARTS=fan,memory,storm runs only those of its parts.
//   --build DIR takes sio-server from DIR/examples/sio-server/ and the load
//   generator from DIR/bench/: any build directory (or one of symlinks)
//   with those two works for a check; scripts/bench builds build-bench.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { best } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(n);
const opt = (n, d) => (argv.indexOf(n) >= 0 ? argv[argv.indexOf(n) + 1] : d);
const QUICK = flag('--quick');
const BUILD = path.resolve(repo, opt('--build', 'build-bench'));
const ONLY = opt('--only', '');  // comma list of scenario ids, for development
// A partial run must not replace the committed full run and its results.
const OUT = path.resolve(repo, opt('--out', ONLY ? path.join(BUILD, 'bench-partial.md') : 'BENCHMARKS.md'));
const OUT_JSON = OUT.replace(/\.md$/, '') + '.json';
const SIO_SERVER = path.join(BUILD, 'examples/sio-server/sio-server');
const LOADGEN = path.join(BUILD, 'bench/sio-bench-client');
const FLOOR = path.join(BUILD, 'bench/sio-bench-floor');
const HTTP_LOAD = path.join(BUILD, 'bench/sio-bench-http');
const HUB = 'bench';
const PATH = `/clients/socketio/hubs/${HUB}/`;

// Sizes: full run / --quick.
const S = QUICK
  ? { idle1: 5000, idle2: 10000, hold: 15000, fan: 5000, latRounds: 5, burst: 10, burstRounds: 2,
      seqSends: 20, roomMs: 3000, echoK: 200, echoMs: 3000, reps: 1, echoReps: 1, echoNormalReps: 1, poll: 300, pollMs: 4000, hookMs: 3000,
      acks: 1000, ackRounds: 10 }
  : { idle1: 10000, idle2: 19000, hold: 60000, fan: 10000, latRounds: 10, burst: 20, burstRounds: 4,
      seqSends: 40, roomMs: 5000, echoK: 200, echoMs: 5000, reps: 2, echoReps: 6, echoNormalReps: 2, poll: 1000, pollMs: 8000, hookMs: 5000,
      acks: 1000, ackRounds: 40 };
// Connection state recovery (section "recovery"): the fan-out with it off
// and on (alternating, S.recoveryFanReps times each), memory per kept
// session, and the reconnect storm (socket.io-client processes).
Object.assign(S, QUICK
  ? { recoveryFanN: S.fan, recoveryFanReps: 2, recoveryMemN: 2000, recoveryStormN: 2000, recoveryStormProcs: 2,
      recoveryK: 5, recoveryStormReps: 1, recoveryDelayMs: 1000, recoveryRand: 0.1, recoveryWaitMs: 20000, recoverySettleMs: 3000, recoveryCut: 'destroy' }
  : { recoveryFanN: S.fan, recoveryFanReps: 4, recoveryMemN: 5000, recoveryStormN: 5000, recoveryStormProcs: 2,
      recoveryK: 5, recoveryStormReps: 2, recoveryDelayMs: 1000, recoveryRand: 0.1, recoveryWaitMs: 30000, recoverySettleMs: 3000, recoveryCut: 'destroy' });
if (process.env.BENCH_RECOVERY_N) {
  const n = Number(process.env.BENCH_RECOVERY_N);
  Object.assign(S, { recoveryFanN: n, recoveryMemN: n, recoveryStormN: n });
}
// The cluster scenario (three nodes on one Redis): sockets per node, run at
// the first count and again at the second (twice as many).
Object.assign(S, QUICK
  ? { clusterPerNode: [500, 1000], clusterBurstRounds: 2, clusterRoomMs: 3000, clusterLatSends: 8, clusterLatGapMs: 50, clusterLatRate: 10000 }
  : { clusterPerNode: [1500, 3000], clusterBurstRounds: 4, clusterRoomMs: 5000, clusterLatSends: 12, clusterLatGapMs: 50, clusterLatRate: 10000 });

// The Node.js setups every scenario runs (bench/node-server.mjs); a row's
// ratios are taken against the best of them in that row.
const NODE_SETUPS = {
  node: { label: 'Node, 1 process', args: [] },
  node2: { label: 'Node cluster, 2 workers', args: ['--workers', '2'] },
  nodeEiows: { label: 'Node + eiows, 1 process', args: ['--ws-engine', 'eiows'] },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const children = new Set();
process.on('exit', () => { for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---------------------------------------------------------------- processes

/** Spawns a process, collects its lines, resolves when `ready` matches a line. */
function start(cmd, args, ready, name, readyMs = 15000) {
  // Ours logs one info line per connection open and close; the Node server
  // logs nothing: compare like with like.
  const env = { ...process.env, SPDLOG_LEVEL: 'warn' };
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const lines = [];
  const waiters = [];
  const onLine = (line) => {
    lines.push(line);
    if (lines.length > 2000) lines.shift();
    for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);
  const waitLine = (re, ms = 15000) => new Promise((resolve, reject) => {
    const hit = lines.find((l) => re.test(l));
    if (hit && re !== ready) { resolve(hit); return; }
    const w = { re, resolve };
    waiters.push(w);
    setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) { waiters.splice(i, 1); reject(new Error(`${name}: no ${re} within ${ms} ms; tail:\n${lines.slice(-10).join('\n')}`)); }
    }, ms);
  });
  const proc = {
    child, lines, pid: child.pid,
    kill: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  return waitLine(ready, readyMs).then((line) => Object.assign(proc, { readyLine: line }));
}

/** /proc facts of a process: VmRSS in KiB, CPU seconds so far. */
function procInfoOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100;  // USER_HZ on Linux
  return { rssKb: rss, cpuS: (Number(f[11]) + Number(f[12])) / tick };
}

/** The same summed over every process of a server (a Node cluster has a
 *  primary and its workers). */
function procInfo(server) {
  const all = server.pids.map(procInfoOf);
  return { rssKb: all.reduce((a, x) => a + x.rssKb, 0), cpuS: all.reduce((a, x) => a + x.cpuS, 0) };
}

/** CPU ticks of every thread of a server's processes, by pid/tid. */
function threadTicks(server) {
  const m = new Map();
  for (const pid of server.pids) {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const st = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        m.set(`${pid}/${t}`, Number(f[11]) + Number(f[12]));
      } catch { /* the thread ended meanwhile */ }
    }
  }
  return m;
}

/** How many threads of the server were busy for at least a tenth of the
 *  `secs` between two threadTicks() samples. */
function busyThreads(before, after, secs) {
  let n = 0;
  for (const [k, v] of after) if ((v - (before.get(k) ?? 0)) / 100 >= 0.1 * secs) n++;
  return n;
}

/** Context switches of all of a process's threads (voluntary: it waited;
 *  involuntary: it was preempted). */
function switches(server) {
  let vol = 0, invol = 0;
  for (const pid of server.pids) for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      vol += Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]);
      invol += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]);
    } catch { /* the thread ended meanwhile */ }
  }
  return { vol, invol };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(port, method, p, body = '', headers = {}, retry = true) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent,
      headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e) => {
      // A kept-alive socket the server closed meanwhile: retry once on a new one.
      if (retry && req.reusedSocket && e.code === 'ECONNRESET') {
        resolve(request(port, method, p, body, headers, false));
      } else {
        reject(e);
      }
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

// ---------------------------------------------------------------- servers

const b64u = (s) => Buffer.from(s).toString('base64url');
function hs256(payload, key) {
  const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64u(JSON.stringify(payload));
  const sig = crypto.createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

async function startOurs({ pingInterval = 25000, handler = { inProcessHandler: 'echo' }, threads, extra = {}, recovery } = {}) {
  const cfg = {
    ...extra,
    listen: { host: '127.0.0.1', port: 0 },
    ...(threads ? { workerThreads: threads, ioThreads: threads } : {}),
    ...(process.env.BENCH_IO_THREADS ? { ioThreads: Number(process.env.BENCH_IO_THREADS) } : {}),
    ...(process.env.BENCH_SCHEDULER ? { scheduler: process.env.BENCH_SCHEDULER } : {}),
    engineio: { pingInterval, pingTimeout: 20000 },
    hubs: { [HUB]: { anonymousConnectPolicy: 'allow', ...handler,
                     ...(recovery ? { connectionStateRecovery: recovery } : {}) } },
  };
  const file = path.join(os.tmpdir(), `sio-bench-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  const p = await start(SIO_SERVER, ['--config', file], /connection string:/, 'sio-server');
  const m = /Endpoint=http:\/\/127\.0\.0\.1:(\d+);AccessKey=([^;]+);/.exec(p.readyLine);
  p.port = Number(m[1]);
  p.key = m[2];
  p.kind = 'ours';
  p.pids = [p.pid];
  const tokens = new Map();
  const auth = (url) => {
    const now = Math.floor(Date.now() / 1000);
    let t = tokens.get(url);
    if (!t || t.exp - now < 60) {
      t = { exp: now + 600, tok: hs256({ aud: url, exp: now + 600, iat: now }, p.key) };
      tokens.set(url, t);
    }
    return `Bearer ${t.tok}`;
  };
  p.rest = (method, rel, body = '', type = 'application/json') => {
    const pth = `/api/hubs/${HUB}${rel}${rel.includes('?') ? '&' : '?'}api-version=2024-01-01`;
    return request(p.port, method, pth, body,
      { 'Content-Type': type, Authorization: auth(`http://127.0.0.1:${p.port}${pth}`) });
  };
  const nsGroup = `0~${b64u('/')}~`;
  /** Backend send of ["name", T] to the namespace or a room. */
  p.emit = (name, room) => {
    const g = room === undefined ? nsGroup : `${nsGroup}${b64u(room)}`;
    return p.rest('POST', `/groups/${g}/:send`, `42${JSON.stringify([name, nowUs()])}`, 'text/plain');
  };
  /** Backend send of the argument array `args` to the namespace or a room. */
  p.send = (args, room) => {
    const g = room === undefined ? nsGroup : `${nsGroup}${b64u(room)}`;
    return p.rest('POST', `/groups/${g}/:send`, `42${JSON.stringify(args)}`, 'text/plain');
  };
  /** A /metrics value summed over its label sets (0 when absent). */
  p.metric = async (name) => {
    const r = await request(p.port, 'GET', '/metrics');
    let v = 0;
    for (const line of r.body.split('\n')) {
      const mm = /^([a-z_]+)(\{[^}]*\})?\s+([-\d.e+]+)/.exec(line);
      if (mm && mm[1] === name) v += Number(mm[3]);
    }
    return v;
  };
  /** Backend acked send of ["name", T] to the namespace: every socket's answer. */
  p.ask = async (name) => {
    const r = await p.rest('POST', `/groups/${nsGroup}/:send?ackTimeout=10000`,
      `42${JSON.stringify([name, nowUs()])}`, 'text/plain');
    if (r.status !== 200) throw new Error(`acked send: ${r.status} ${r.body}`);
    const body = JSON.parse(r.body);
    return { acks: body.acks.length, timedOut: body.timedOut.length };
  };
  p.join = async (lgs) => {
    // REST: PUT groups/{room}/connections/{sid}, client i -> room r<i/10>
    for (const lg of lgs) {
      const { sids } = await lg.cmd('sids', 'sids');
      let i = 0;
      const work = async () => {
        while (i < sids.length) {
          const k = i++;
          if (!sids[k]) continue;
          const g = `${nsGroup}${b64u(`r${Math.floor((lg.base + k) / 10)}`)}`;
          const r = await p.rest('PUT', `/groups/${g}/connections/${sids[k]}`);
          if (r.status >= 300) throw new Error(`join: ${r.status} ${r.body}`);
        }
      };
      await Promise.all(Array.from({ length: 32 }, work));
    }
  };
  p.closedCount = async () => {
    const r = await request(p.port, 'GET', '/metrics');
    let n = 0;
    const reasons = {};
    for (const line of r.body.split('\n')) {
      const mm = /^sio_connections_closed_total\{(.*)\}\s+(\d+)/.exec(line);
      if (mm) {
        n += Number(mm[2]);
        const why = /reason="([^"]*)"/.exec(mm[1])?.[1] ?? '?';
        reasons[why] = (reasons[why] || 0) + Number(mm[2]);
      }
    }
    return { n, reasons };
  };
  return p;
}

async function startNode({ pingInterval = 25000, kind = 'node', recovery } = {}) {
  const p = await start(process.execPath, [path.join(here, 'node-server.mjs'), '--ping-interval', String(pingInterval),
    ...NODE_SETUPS[kind].args, ...(recovery ? ['--recovery', String(recovery.maxDisconnectionDuration)] : [])],
  /^listening \d+/, 'node-server', 60000);
  const m = /listening (\d+) api (\d+) pids ([\d,]+)/.exec(p.readyLine);
  p.port = Number(m[1]);
  p.apiPort = Number(m[2]);
  p.pids = m[3].split(',').map(Number);
  p.kind = kind;
  p.emit = (name, room) => request(p.apiPort, 'POST', `/emit${room === undefined ? '' : `?room=${room}`}`,
    JSON.stringify([name, nowUs()]), { 'Content-Type': 'application/json' });
  p.send = (args, room) => request(p.apiPort, 'POST', `/emit${room === undefined ? '' : `?room=${room}`}`,
    JSON.stringify(args), { 'Content-Type': 'application/json' });
  p.stats = async () => JSON.parse((await request(p.apiPort, 'GET', '/stats')).body);
  p.join = async (lgs) => { await Promise.all(lgs.map((lg) => lg.cmd('join', 'joined', 120000))); };
  p.ask = async (name) => {
    const r = await request(p.apiPort, 'POST', '/ask?timeout=10000', JSON.stringify([name, nowUs()]),
      { 'Content-Type': 'application/json' });
    const body = JSON.parse(r.body);
    if (body.error) throw new Error(`emitWithAck: ${body.error}`);
    return { acks: body.acks, timedOut: 0 };
  };
  p.closedCount = async () => {
    const r = JSON.parse((await request(p.apiPort, 'GET', '/stats')).body);
    const n = Object.values(r.closed).reduce((a, b) => a + b, 0);
    return { n, reasons: r.closed };
  };
  return p;
}

/** The floor (bench/floor_server.cpp): for the echo read, ack, write; for
 *  fan-out one frame written to every socket; nothing else. */
async function startFloor() {
  const p = await start(FLOOR, ['--threads', String(os.cpus().length)], /^listening \d+/, 'floor');
  p.port = Number(/listening (\d+)/.exec(p.readyLine)[1]);
  p.kind = 'floor';
  p.pids = [p.pid];
  p.emit = (name) => request(p.port, 'POST', '/emit', `42${JSON.stringify([name, nowUs()])}`, { 'Content-Type': 'text/plain' });
  return p;
}

/** How the report names a server kind. */
const nameOf = (kind) => NODE_SETUPS[kind]?.label ?? kind;

const startServer = (kind, opts = {}) => (kind === 'ours' ? startOurs(opts)
  : kind === 'floor' ? startFloor() : startNode({ ...opts, kind }));

// ---------------------------------------------------------------- load generators

async function startLoadgen(port, base) {
  const p = await start(LOADGEN, ['--port', String(port), '--path', PATH, '--base', String(base)],
    /"ev":"ready"/, 'loadgen');
  p.base = base;
  return withCommands(p, 'loadgen');
}

/** Gives a client process that answers JSON lines (sio-bench-client,
 *  bench/recovery_storm.mjs) p.cmd(line, ev, ms): sends a command and
 *  resolves with the next line whose ev matches, one command at a time. */
function withCommands(p, name) {
  let queue = Promise.resolve();
  /** Sends a command, resolves with the next JSON line whose ev matches. */
  p.cmd = (line, ev, ms = 120000) => {
    const run = async () => {
      const from = p.lines.length;
      const re = new RegExp(`"ev":"${ev}"`);
      const got = new Promise((resolve, reject) => {
        const t0 = Date.now();
        const poll = () => {
          for (let i = from; i < p.lines.length; i++) if (re.test(p.lines[i])) { resolve(JSON.parse(p.lines[i])); return; }
          if (Date.now() - t0 > ms) { reject(new Error(`${name}: no ${ev} for '${line}' in ${ms} ms`)); return; }
          setTimeout(poll, 2);
        };
        poll();
      });
      p.child.stdin.write(`${line}\n`);
      return got;
    };
    const r = queue.then(run, run);
    queue = r.catch(() => {});
    return r;
  };
  return p;
}

/** n clients over `procs` load generator processes; connects them all. */
async function connectClients(server, n, procs, { conc = 100 } = {}) {
  const per = Math.ceil(n / procs);
  const lgs = [];
  for (let i = 0; i < procs; i++) lgs.push(await startLoadgen(server.port, i * per));
  const t0 = performance.now();
  const res = await Promise.all(lgs.map((lg, i) => lg.cmd(`connect ${Math.min(per, n - i * per)} ${conc}`, 'connected', 300000)));
  const secs = (performance.now() - t0) / 1000;
  res.forEach((r, i) => { lgs[i].clients = r.ok; });  // cumulative per process
  const ok = res.reduce((a, r) => a + r.ok, 0);
  return { lgs, ok, failed: res.reduce((a, r) => a + r.failed, 0), secs, rate: ok / secs };
}

async function moreClients(lgs, n, conc = 100) {
  const per = Math.ceil(n / lgs.length);
  const t0 = performance.now();
  const res = await Promise.all(lgs.map((lg) => lg.cmd(`connect ${per} ${conc}`, 'connected', 300000)));
  const secs = (performance.now() - t0) / 1000;
  res.forEach((r, i) => { lgs[i].clients = r.ok; });
  return { ok: res.reduce((a, r) => a + r.ok, 0), failed: res.reduce((a, r) => a + r.failed, 0), secs };
}

const lgStats = async (lgs, cmd = 'stats', ev = 'stats') => Promise.all(lgs.map((lg) => lg.cmd(cmd, ev)));
const killAll = async (...ps) => { for (const p of ps.flat()) if (p) await p.kill(); };

/** Merges percentiles of several processes conservatively (max of each). */
const mergePct = (rs, k) => Math.max(...rs.map((r) => r[k]));

// ---------------------------------------------------------------- scenarios

const results = {};
const notes = [];

/** A fresh server at `pingInterval` ms: RSS empty, with S.idle1 clients,
 *  then with S.idle2. */
async function idleConnect(kind, pingInterval) {
  const server = await startServer(kind, { pingInterval });
  await sleep(500);
  const rss0 = procInfo(server).rssKb;
  const c1 = await connectClients(server, S.idle1, 2);
  await sleep(2000);
  const rss1 = procInfo(server).rssKb;
  const c2 = await moreClients(c1.lgs, S.idle2 - S.idle1);
  await sleep(2000);
  const rss2 = procInfo(server).rssKb;
  if (c2.failed) connectNote(kind, c2.failed, S.idle2);
  return { kind, server, lgs: c1.lgs, r: {
    n1: c1.ok, failed1: c1.failed, connectRate: c1.rate, connectSecs: c1.secs,
    n2: c2.ok, failed2: c2.failed,  // the generators' counters are cumulative
    rss0, rss1, rss2,
    perConn1: ((rss1 - rss0) * 1024) / c1.ok,
    perConn2: ((rss2 - rss0) * 1024) / c2.ok,
    pingInterval,
  } };
}

/** Holds the clients of the servers in `list` idle for S.hold ms, all at
 *  once; counts the closes each side saw and each server's CPU. */
async function idleHold(list) {
  const closedBefore = await Promise.all(list.map((x) => x.server.closedCount()));
  const cpu0 = list.map((x) => procInfo(x.server).cpuS);
  log(`${list.map((x) => `${x.kind}: ${x.r.n2}`).join(', ')} clients held for ${S.hold / 1000} s`
    + ` at pingInterval ${list[0].r.pingInterval / 1000} s`);
  await sleep(S.hold);
  for (const [i, x] of list.entries()) {
    const cpu1 = procInfo(x.server).cpuS;
    const closedAfter = await x.server.closedCount();
    const st = await lgStats(x.lgs);
    Object.assign(x.r, {
      closedDuringHold: closedAfter.n - closedBefore[i].n,
      closedReasons: closedAfter.reasons,
      clientSeenClosed: st.reduce((a, q) => a + q.closed, 0),
      live: st.reduce((a, q) => a + q.live, 0),
      holdCpuPct: (100 * (cpu1 - cpu0[i])) / (S.hold / 1000),
    });
  }
  for (const x of list) await killAll(x.lgs, x.server);
}

/** A note for clients that could not connect (the rows then count the
 *  clients that did). */
function connectNote(kind, failed, n) {
  notes.push(`${nameOf(kind)}: ${failed} of ${n} clients failed to connect${kind === 'node2'
    ? ' (a worker opened their Engine.IO sessions, but their Socket.IO CONNECT got no answer within the'
      + ' clients\' 20 s connect timeout; left alone, the server closes such a session at its ping timeout)' : ''}`);
}

/** Fan-out, rooms and echo on one server with S.fan clients. */
async function setupMany(kind) {
  const server = await startServer(kind);
  const c = await connectClients(server, S.fan, 2);
  if (c.failed) connectNote(kind, c.failed, S.fan);
  return { server, lgs: c.lgs, n: c.ok };
}

/** Runs `work` and measures the server meanwhile: CPU seconds (from
 *  /proc/PID/stat, 10 ms ticks; and from schedstat, nanoseconds: cpuPreciseS)
 *  and how many of its threads were busy (at least a tenth of the time). */
async function measured(server, work) {
  const cpu0 = procInfo(server).cpuS;
  const ns0 = cpuPrecise(server.pids);
  const th0 = threadTicks(server);
  const t0 = performance.now();
  const out = await work();
  const secs = (performance.now() - t0) / 1000;
  return { out, serverCpuS: procInfo(server).cpuS - cpu0, cpuPreciseS: cpuPrecise(server.pids) - ns0,
           threads: busyThreads(th0, threadTicks(server), secs) };
}

async function fanout({ server, lgs, n }) {
  // Each client process waits for `perClient` events on each of its clients.
  const waitAll = (perClient, share = 1, ms = 30000) => Promise.all(lgs.map((lg) =>
    lg.cmd(`wait ${Math.floor(perClient * lg.clients * share)} ${ms}`, 'wait', ms + 10000)));
  const emit = async () => {
    const r = await server.emit('b');
    if (r.status >= 300) throw new Error(`broadcast: ${r.status} ${r.body}`);
  };
  // 1. latency: one broadcast at a time, wait until every client got it
  await lgStats(lgs, 'reset', 'reset');
  for (let i = 0; i < S.latRounds; i++) {
    await emit();
    await waitAll(i + 1, 1, 10000);
    await sleep(100);
  }
  const single = await lgStats(lgs);
  // 2. throughput: bursts of S.burst concurrent broadcasts
  await lgStats(lgs, 'reset', 'reset');
  const lcpu0 = single.reduce((a, s) => a + s.cpu_ms, 0);
  let t0 = nowUs();
  const bursts = await measured(server, async () => {
    for (let round = 0; round < S.burstRounds; round++) {
      await Promise.all(Array.from({ length: S.burst }, emit));
      await waitAll((round + 1) * S.burst, 0.999);
    }
    await sleep(200);
  });
  const st = await lgStats(lgs);
  const recv = st.reduce((a, s) => a + s.recv, 0);
  const secs = (Math.max(...st.map((s) => s.last_us)) - t0) / 1e6;
  // 3. back to back: one broadcast after another, each sent when the
  // previous send was answered (a backend streaming updates)
  await lgStats(lgs, 'reset', 'reset');
  t0 = nowUs();
  const seq = await measured(server, async () => {
    for (let i = 0; i < S.seqSends; i++) await emit();
    await waitAll(S.seqSends);
    await sleep(200);
  });
  const sq = await lgStats(lgs);
  const seqRecv = sq.reduce((a, s) => a + s.recv, 0);
  const seqSecs = (Math.max(...sq.map((s) => s.last_us)) - t0) / 1e6;
  return {
    singleP50: mergePct(single, 'p50'), singleP99: mergePct(single, 'p99'),
    singleRecv: single.reduce((a, s) => a + s.recv, 0), singleExpected: S.latRounds * n,
    burstRecv: recv, burstExpected: S.burstRounds * S.burst * n, burstSecs: secs,
    deliveriesPerSec: recv / secs,
    burstP50: mergePct(st, 'p50'), burstP99: mergePct(st, 'p99'),
    serverCpuS: bursts.serverCpuS, serverCpuPreciseS: bursts.cpuPreciseS, threads: bursts.threads,
    loadgenCpuS: (st.reduce((a, s) => a + s.cpu_ms, 0) - lcpu0) / 1000,
    seqRecv, seqExpected: S.seqSends * n, seqSecs, seqDeliveriesPerSec: seqRecv / seqSecs,
    seqP50: mergePct(sq, 'p50'), seqP99: mergePct(sq, 'p99'),
    seqServerCpuS: seq.serverCpuS, seqServerCpuPreciseS: seq.cpuPreciseS, seqThreads: seq.threads,
  };
}

async function rooms({ server, lgs, n }, joined) {
  if (!joined) {
    const t0 = performance.now();
    await server.join(lgs);
    notes.push(`${nameOf(server.kind)}: joining ${n} sockets to ${Math.ceil(n / 10)} rooms took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const nRooms = Math.ceil(n / 10);
  await lgStats(lgs, 'reset', 'reset');
  const cpu0 = procInfo(server).cpuS;
  const th0 = threadTicks(server);
  const driver0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + S.roomMs;
  let sends = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const r = await server.emit('r', `r${Math.floor(Math.random() * nRooms)}`);
      if (r.status >= 300) throw new Error(`room send: ${r.status} ${r.body}`);
      sends++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const secs = (performance.now() - t0) / 1000;
  const threads = busyThreads(th0, threadTicks(server), secs);
  const driver = process.cpuUsage(driver0);
  await Promise.all(lgs.map((lg) => lg.cmd(`wait ${Math.floor((sends * 10 * 0.99) / lgs.length)} 5000`, 'wait')));
  const st = await lgStats(lgs);
  const recv = st.reduce((a, s) => a + s.recv, 0);
  return {
    sends, secs, sendsPerSec: sends / secs, recv, expected: sends * 10,
    deliveriesPerSec: recv / secs,
    p50: mergePct(st, 'p50'), p99: mergePct(st, 'p99'),
    serverCpuS: procInfo(server).cpuS - cpu0, threads,
    driverCpuS: (driver.user + driver.system) / 1e6,
  };
}

/** The echo in a closed loop; `policy` is the generators' scheduling policy
 *  for it (bench/load_client.cpp, "Why `sched batch`"). */
async function echo({ server, lgs }, policy = 'batch', k = S.echoK, ms = S.echoMs) {
  // A machine that refuses the policy runs the echo at the normal one, and
  // the results and the report say so.
  const set = await Promise.all(lgs.map((lg) => lg.cmd(`sched ${policy}`, '(?:sched|error)')));
  const refused = set.find((x) => x.ev !== 'sched');
  if (refused) {
    const why = `the client processes could not switch to ${policy} (${refused.what}); the echo ran at the normal policy`;
    if (!notes.includes(why)) notes.push(why);
    policy = 'normal';
  }
  const cpu0 = procInfo(server).cpuS;
  const sw0 = switches(server);
  const th0 = threadTicks(server);
  const rs = await Promise.all(lgs.map((lg) => lg.cmd(`echo ${Math.ceil(k / lgs.length)} ${ms}`, 'echo', ms + 30000)));
  const th1 = threadTicks(server);
  const sw1 = switches(server);
  const cpu1 = procInfo(server).cpuS;
  await Promise.all(lgs.map((lg) => lg.cmd('sched normal', '(?:sched|error)')));
  const acks = rs.reduce((a, r) => a + r.acks, 0);
  const secs = Math.max(...rs.map((r) => r.secs));
  return {
    policy, clients: rs.reduce((a, r) => a + r.clients, 0), acks, secs, acksPerSec: acks / secs,
    p50: mergePct(rs, 'p50'), p99: mergePct(rs, 'p99'),
    serverCpuS: cpu1 - cpu0, threads: busyThreads(th0, th1, Math.max(...rs.map((r) => r.secs))),
    serverSwitches: { vol: sw1.vol - sw0.vol, invol: sw1.invol - sw0.invol },
    loadgenCpuS: rs.reduce((a, r) => a + r.cpu_ms, 0) / 1000,
  };
}

/** Long-polling clients (Engine.IO v4 over HTTP), each in a closed ack loop. */
async function polling(kind) {
  const server = await startServer(kind);
  const pagent = new http.Agent({ keepAlive: true, maxSockets: 4 * S.poll });
  const req = (method, q, body = '') => new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: server.port, method, agent: pagent,
      path: `${PATH}?EIO=4&transport=polling${q}`,
      headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8'))
        : reject(new Error(`${method} ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.setTimeout(30000, () => r.destroy(new Error('timeout')));
    r.end(body);
  });
  const lat = [];
  let trips = 0;
  let failed = 0;
  let measuring = false;
  let stop = false;
  const client = async () => {
    try {
      const open = await req('GET', '');
      const sid = /"sid":"([^"]+)"/.exec(open)[1];
      const q = `&sid=${sid}`;
      await req('POST', q, '40');
      let got = await req('GET', q);
      while (!got.includes('40')) got = await req('GET', q);
      let id = 0;
      while (!stop) {
        const s = performance.now();
        id++;
        await req('POST', q, `42${id}["e",${nowUs()},"hello"]`);
        let done = false;
        while (!done) {
          const body = await req('GET', q);
          for (const pkt of body.split('\x1e')) {
            if (pkt === '2') await req('POST', q, '3');
            else if (pkt.startsWith(`43${id}[`)) done = true;
          }
        }
        if (measuring) { trips++; lat.push((performance.now() - s) * 1000); }
      }
      await req('POST', q, '1').catch(() => {});
    } catch {
      failed++;
    }
  };
  const all = [];
  for (let i = 0; i < S.poll; i++) {
    all.push(client());
    if (i % 50 === 49) await sleep(20);
  }
  await sleep(1500);
  const cpu0 = procInfo(server).cpuS;
  const th0 = threadTicks(server);
  const myCpu0 = process.cpuUsage();
  measuring = true;
  const t0 = performance.now();
  await sleep(S.pollMs);
  measuring = false;
  const secs = (performance.now() - t0) / 1000;
  const cpu = procInfo(server).cpuS - cpu0;
  const threads = busyThreads(th0, threadTicks(server), secs);
  const mine = process.cpuUsage(myCpu0);
  stop = true;
  await Promise.race([Promise.all(all), sleep(10000)]);
  pagent.destroy();
  await server.kill();
  lat.sort((a, b) => a - b);
  const pct = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? -1);
  return { clients: S.poll, failed, trips, secs, tripsPerSec: trips / secs, p50: pct(0.5), p99: pct(0.99),
           serverCpuS: cpu, threads, loadgenCpuS: (mine.user + mine.system) / 1e6 };
}

/** Acked sends to S.acks sockets, one after another (each sent when the
 *  previous one had every answer): time to the full answer and server CPU
 *  per ack. */
async function ackedSends(kind) {
  const server = await startServer(kind);
  const c = await connectClients(server, S.acks, 1);
  if (c.failed) connectNote(kind, c.failed, S.acks);
  for (let i = 0; i < 3; i++) await server.ask('warm');
  const times = [];
  let acks = 0;
  let timedOut = 0;
  const m = await measured(server, async () => {
    for (let i = 0; i < S.ackRounds; i++) {
      const t0 = performance.now();
      const r = await server.ask('ask');
      times.push(performance.now() - t0);
      acks += r.acks;
      timedOut += r.timedOut;
    }
  });
  const st = await lgStats(c.lgs);
  await killAll(c.lgs, server);
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  const secs = times.reduce((a, b) => a + b, 0) / 1000;
  return { sockets: c.ok, rounds: S.ackRounds, acks, timedOut, expected: S.ackRounds * c.ok,
           p50Ms: pct(0.5), p99Ms: pct(0.99), secs, acksPerSec: acks / secs,
           serverCpuS: m.serverCpuS, threads: m.threads, cpuUsPerAck: (1e6 * m.serverCpuS) / acks,
           acksPerCpuS: acks / m.serverCpuS, loadgenCpuMs: st.reduce((a, s) => a + s.cpu_ms, 0) };
}

async function webhook() {
  const up = await start(process.execPath, [path.join(here, 'webhook-upstream.mjs')], /^listening \d+/, 'upstream');
  const upPort = Number(/listening (\d+)/.exec(up.readyLine)[1]);
  up.pids = [up.pid];
  const handler = { eventHandlers: [{
    urlTemplate: `http://127.0.0.1:${upPort}/api/{hub}/{event}`, userEventPattern: '*', systemEvents: [] }] };
  // Ours twice: with one loop thread (workerThreads 1), which leaves the
  // other core to the upstream (one Node thread) and the generator, and with
  // the default, a loop thread per core, whose threads then share less than
  // a core's work and sleep and wake per event (profile notes).
  const one = await startOurs({ handler, threads: 1 });
  const dflt = await startOurs({ handler });
  const c1 = await connectClients(one, S.echoK, 1, { conc: 50 });
  const c2 = await connectClients(dflt, S.echoK, 1, { conc: 50 });
  // The upstream alone, driven by sio-bench-http (C++, one epoll thread)
  // at the dispatcher's connection count (32), and ours through it,
  // alternately, S.reps times: the best of each, as elsewhere (the upstream
  // alone swings by a third between runs on a shared box).
  const aloneRuns = [], oursRuns = [], defaultRuns = [];
  for (let rep = 0; rep < S.reps; rep++) {
    const upCpu0 = procInfo(up).cpuS;
    const a = JSON.parse(execFileSync(HTTP_LOAD,
      ['--port', String(upPort), '--conns', '32', '--ms', String(S.hookMs)], { encoding: 'utf8' }).trim());
    aloneRuns.push({ ...a, reqsPerSec: a.reqs / a.secs, upstreamCpuS: procInfo(up).cpuS - upCpu0 });
    for (const [server, c, runs] of [[one, c1, oursRuns], [dflt, c2, defaultRuns]]) {
      const upCpu1 = procInfo(up).cpuS;
      const r = await echo({ server, lgs: c.lgs }, 'normal', S.echoK, S.hookMs);
      r.upstreamCpuS = procInfo(up).cpuS - upCpu1;
      runs.push(r);
    }
  }
  await killAll(c1.lgs, c2.lgs, one, dflt, up);
  return { alone: best(aloneRuns, 'reqsPerSec'), ours: best(oursRuns, 'acksPerSec'),
           oursDefault: best(defaultRuns, 'acksPerSec'), aloneRuns, oursRuns, defaultRuns };
}

// ---------------------------------------------------------------- cluster
// Three nodes on one Redis, each side with its own redis-server: ours
// (sio-server with `cluster`) and Node's (socket.io with
// @socket.io/redis-adapter). One load generator per node holds that node's
// sockets; the backend sends through node 1 only, so the other two nodes'
// sockets are reached through Redis. CPU here is read from
// /proc/PID/task/TID/schedstat (nanoseconds, not 10 ms ticks): Redis's share
// per broadcast is a few microseconds.

const CLUSTER_NODES = 3;
const ROOM_PER_NODE = 10;  // sockets of one room on each node

/** A free TCP port on 127.0.0.1 (closed again before use). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** CPU seconds of every thread of the processes so far (schedstat: ns). */
function cpuPrecise(pids) {
  let ns = 0;
  for (const pid of pids) {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* ended */ }
    }
  }
  return ns / 1e9;
}

/** redis-server on a free 127.0.0.1 port in a temporary directory, no
 *  persistence; kill() stops it by its PID and removes the directory. */
async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-bench-redis-'));
  const p = await start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir, '--loglevel', 'notice'], /Ready to accept connections/, 'redis-server');
  p.port = port;
  p.pids = [p.pid];
  const kill = p.kill;
  p.kill = async () => { await kill(); fs.rmSync(dir, { recursive: true, force: true }); };
  /** Counters of INFO: PUBLISH calls, commands, network bytes. */
  p.counters = () => {
    const info = execFileSync('redis-cli', ['-p', String(port), 'INFO', 'all'], { encoding: 'utf8', timeout: 5000 });
    const num = (re) => Number(re.exec(info)?.[1] ?? 0);
    return { publish: num(/cmdstat_publish:calls=(\d+)/), publishUs: num(/cmdstat_publish:calls=\d+,usec=(\d+)/), commands: num(/total_commands_processed:(\d+)/),
             outBytes: num(/total_net_output_bytes:(\d+)/), inBytes: num(/total_net_input_bytes:(\d+)/) };
  };
  return p;
}

/** One side of the cluster comparison: its Redis, three servers, one load
 *  generator per server (all with base 0, so room r<k> holds ROOM_PER_NODE
 *  sockets on every node). */
async function startClusterSide(kind) {
  const redis = await startRedis();
  const url = `redis://127.0.0.1:${redis.port}`;
  const nodes = [];
  if (kind === 'ours') {
    const key = crypto.randomBytes(32).toString('base64');
    for (let i = 1; i <= CLUSTER_NODES; i++) {
      nodes.push(await startOurs({ extra: { accessKeys: { primary: key }, cluster: { redis: url, nodeId: `n${i}` } } }));
    }
  } else {
    for (let i = 1; i <= CLUSTER_NODES; i++) {
      const p = await start(process.execPath, [path.join(here, 'node-server.mjs'), '--redis', url],
        /^listening \d+/, 'node-server', 60000);
      const m = /listening (\d+) api (\d+) pids ([\d,]+)/.exec(p.readyLine);
      Object.assign(p, { port: Number(m[1]), apiPort: Number(m[2]), pids: m[3].split(',').map(Number), kind: 'node' });
      p.emit = (name, room) => request(p.apiPort, 'POST', `/emit${room === undefined ? '' : `?room=${room}`}`,
        JSON.stringify([name, nowUs()]), { 'Content-Type': 'application/json' });
      nodes.push(p);
    }
  }
  const lgs = [];
  for (const n of nodes) lgs.push(await startLoadgen(n.port, 0));
  return { kind, redis, nodes, lgs, pids: nodes.flatMap((n) => n.pids), perNode: 0, joined: 0 };
}

/** Brings every node to `perNode` sockets. */
async function clusterConnect(side, perNode) {
  const add = perNode - side.perNode;
  const res = await Promise.all(side.lgs.map((lg) => lg.cmd(`connect ${add} 100`, 'connected', 300000)));
  res.forEach((r, i) => { side.lgs[i].clients = r.ok; });
  side.perNode = perNode;
  const failed = res.reduce((a, r) => a + r.failed, 0);
  if (failed) side.notes.push(`${side.kind}: ${failed} of ${perNode * CLUSTER_NODES} clients failed to connect`);
  side.n = side.lgs.reduce((a, lg) => a + lg.clients, 0);
}

/** Every socket not yet in a room joins r<index/ROOM_PER_NODE> on its node:
 *  ours through node 1's REST API (`PUT groups/{room}/connections/{id}`,
 *  which reaches the node that holds the socket over Redis), Node's with a
 *  `join` event (socket.join on its own server). */
async function clusterJoin(side) {
  const t0 = performance.now();
  if (side.kind === 'ours') {
    const rest = side.nodes[0];
    const nsGroup = `0~${b64u('/')}~`;
    for (const lg of side.lgs) {
      const { sids } = await lg.cmd('sids', 'sids');
      let i = side.joined;
      const work = async () => {
        while (i < sids.length) {
          const k = i++;
          if (!sids[k]) continue;
          const g = `${nsGroup}${b64u(`r${Math.floor(k / ROOM_PER_NODE)}`)}`;
          const r = await rest.rest('PUT', `/groups/${g}/connections/${encodeURIComponent(sids[k])}`);
          if (r.status >= 300) throw new Error(`cluster join: ${r.status} ${r.body}`);
        }
      };
      await Promise.all(Array.from({ length: 32 }, work));
    }
  } else {
    await Promise.all(side.lgs.map((lg) => lg.cmd('join', 'joined', 120000)));
  }
  side.joined = side.perNode;
  return (performance.now() - t0) / 1000;
}

/** Runs `work`, measuring the three servers' CPU, Redis's CPU and counters. */
async function clusterMeasured(side, work) {
  const s0 = cpuPrecise(side.pids), r0 = cpuPrecise(side.redis.pids), c0 = side.redis.counters();
  const d0 = process.cpuUsage();
  const w0 = performance.now();
  const out = await work();
  const wallS = (performance.now() - w0) / 1000;
  const d = process.cpuUsage(d0);
  const c1 = side.redis.counters();
  const redisCpuS = cpuPrecise(side.redis.pids) - r0;
  return { out, serverCpuS: cpuPrecise(side.pids) - s0, redisCpuS, wallS,
           // less what Redis spends idle with the nodes up (see clusterScenario)
           redisNetCpuS: Math.max(0, redisCpuS - side.redisIdleCpuPerSec * wallS),
           driverCpuS: (d.user + d.system) / 1e6,
           redisPublish: c1.publish - c0.publish, redisPublishUs: c1.publishUs - c0.publishUs, redisCommands: c1.commands - c0.commands - 1,
           redisOutBytes: c1.outBytes - c0.outBytes, redisInBytes: c1.inBytes - c0.inBytes };
}

/** Broadcasts to every socket through node 1: bursts of S.burst concurrent
 *  sends, then S.seqSends back to back. */
async function clusterFan(side) {
  const { lgs, n } = side;
  const emit = async () => {
    const r = await side.nodes[0].emit('b');
    if (r.status >= 300) throw new Error(`cluster broadcast: ${r.status} ${r.body}`);
  };
  const waitAll = (perClient, share, ms = 30000) => Promise.all(lgs.map((lg) =>
    lg.cmd(`wait ${Math.floor(perClient * lg.clients * share)} ${ms}`, 'wait', ms + 10000)));
  const phase = async (sends, go) => {
    await lgStats(lgs, 'reset', 'reset');
    const t0 = nowUs();
    const m = await clusterMeasured(side, async () => { await go(); await waitAll(sends, 1); await sleep(200); });
    const st = await lgStats(lgs);
    const recv = st.reduce((a, s) => a + s.recv, 0);
    const secs = (Math.max(...st.map((s) => s.last_us)) - t0) / 1e6;
    delete m.out;
    return { sends, recv, expected: sends * n, secs, deliveriesPerSec: recv / secs,
             p50: mergePct(st, 'p50'), p99: mergePct(st, 'p99'), ...m };
  };
  const bursts = await phase(S.clusterBurstRounds * S.burst, async () => {
    for (let round = 0; round < S.clusterBurstRounds; round++) {
      await Promise.all(Array.from({ length: S.burst }, emit));
      await waitAll((round + 1) * S.burst, 1);
    }
  });
  const seq = await phase(S.seqSends, async () => { for (let i = 0; i < S.seqSends; i++) await emit(); });
  return { sockets: n, bursts, seq, deliveriesPerSec: bursts.deliveriesPerSec };
}

/** Sends to random rooms (ROOM_PER_NODE sockets on each node) through node
 *  1 from 32 concurrent backend requests for S.clusterRoomMs. */
async function clusterRooms(side) {
  const { lgs } = side;
  const nRooms = Math.ceil(side.perNode / ROOM_PER_NODE);
  await lgStats(lgs, 'reset', 'reset');
  let sends = 0;
  const t0 = performance.now();
  const m = await clusterMeasured(side, async () => {
    const end = t0 + S.clusterRoomMs;
    const worker = async () => {
      while (performance.now() < end) {
        const r = await side.nodes[0].emit('r', `r${Math.floor(Math.random() * nRooms)}`);
        if (r.status >= 300) throw new Error(`cluster room send: ${r.status} ${r.body}`);
        sends++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const secs = (performance.now() - t0) / 1000;
    // All of them (bounded): a straggler counted in the next phase would
    // be a delivery of this one, with this one's timestamp.
    await Promise.all(lgs.map((lg) => lg.cmd(`wait ${sends * ROOM_PER_NODE} 20000`, 'wait', 30000)));
    return secs;
  });
  const secs = m.out;
  delete m.out;
  const st = await lgStats(lgs);
  const recv = st.reduce((a, s) => a + s.recv, 0);
  return { rooms: nRooms, roomSize: ROOM_PER_NODE * CLUSTER_NODES, sends, secs, sendsPerSec: sends / secs,
           recv, expected: sends * ROOM_PER_NODE * CLUSTER_NODES, deliveriesPerSec: recv / secs,
           p50: mergePct(st, 'p50'), p99: mergePct(st, 'p99'), ...m };
}

/** Latency at a moderate, paced load: one broadcast to every socket through
 *  node 1 at S.clusterLatRate deliveries/s (not waiting for the previous); from
 *  the trigger time in the payload to receipt, on node 1's sockets (local)
 *  and on nodes 2 and 3's (through Redis). */
async function clusterLatency(side) {
  const { lgs } = side;
  await sleep(500);
  await lgStats(lgs, 'reset', 'reset');
  const pending = [];
  // The same deliveries/s for both sides and both socket counts, well
  // below either side's capacity (measured by clusterFan).
  const gapMs = Math.max(S.clusterLatGapMs, (1000 * side.n) / S.clusterLatRate);
  const t0 = performance.now();
  for (let i = 0; i < S.clusterLatSends; i++) {
    pending.push(side.nodes[0].emit('l'));
    const next = t0 + (i + 1) * gapMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  const rs = await Promise.all(pending);
  const bad = rs.find((r) => r.status >= 300);
  if (bad) throw new Error(`cluster latency send: ${bad.status} ${bad.body}`);
  await Promise.all(lgs.map((lg) => lg.cmd(`wait ${S.clusterLatSends * lg.clients} 10000`, 'wait', 20000)));
  const st = await lgStats(lgs);
  const remote = st.slice(1);
  return {
    sends: S.clusterLatSends, perSec: 1000 / gapMs, deliveriesPerSec: (1000 / gapMs) * side.n,
    localRecv: st[0].recv, localExpected: S.clusterLatSends * lgs[0].clients,
    remoteRecv: remote.reduce((a, s) => a + s.recv, 0),
    remoteExpected: S.clusterLatSends * lgs.slice(1).reduce((a, lg) => a + lg.clients, 0),
    localP50: st[0].p50, localP99: st[0].p99, remoteP50: mergePct(remote, 'p50'), remoteP99: mergePct(remote, 'p99'),
    remoteByNode: remote.map((s) => ({ p50: s.p50, p99: s.p99 })),
  };
}

async function clusterScenario() {
  const out = { nodes: CLUSTER_NODES, roomPerNode: ROOM_PER_NODE, perNode: S.clusterPerNode, ours: {}, node: {}, notes: [] };
  const sides = {};
  try {
    for (const kind of ['ours', 'node']) {
      log(`cluster: starting ${kind} (redis-server and ${CLUSTER_NODES} servers)`);
      sides[kind] = await startClusterSide(kind);
      sides[kind].notes = out.notes;
      await sleep(1000);
      // Redis's own CPU with the nodes up and idle (heartbeats, its timers).
      const r0 = cpuPrecise(sides[kind].redis.pids), c0 = sides[kind].redis.counters();
      await sleep(3000);
      const c1 = sides[kind].redis.counters();
      sides[kind].redisIdleCpuPerSec = out[kind].redisIdleCpuPerSec = (cpuPrecise(sides[kind].redis.pids) - r0) / 3;
      out[kind].redisIdleCommandsPerSec = (c1.commands - c0.commands - 1) / 3;
    }
    for (const perNode of S.clusterPerNode) {
      for (const kind of ['ours', 'node']) {
        const side = sides[kind];
        log(`cluster ${kind}: ${perNode} sockets per node`);
        await clusterConnect(side, perNode);
        const joinSecs = await clusterJoin(side);
        out[kind][perNode] = { sockets: side.n, joinSecs, fan: [], rooms: [], latency: [] };
        log(`cluster ${kind}: ${side.n} connected, rooms joined in ${joinSecs.toFixed(1)} s`);
      }
      await sleep(1000);
      for (let rep = 0; rep < S.reps; rep++) {
        for (const kind of ['ours', 'node']) {
          const x = out[kind][perNode];
          const side = sides[kind];
          x.fan.push(await clusterFan(side));
          log(`cluster fan ${kind} ${perNode}/node: ${JSON.stringify(x.fan.at(-1))}`);
          x.rooms.push(await clusterRooms(side));
          log(`cluster rooms ${kind} ${perNode}/node: ${JSON.stringify(x.rooms.at(-1))}`);
          x.latency.push(await clusterLatency(side));
          log(`cluster latency ${kind} ${perNode}/node: ${JSON.stringify(x.latency.at(-1))}`);
        }
      }
    }
  } finally {
    for (const side of Object.values(sides)) await killAll(side.lgs, side.nodes, side.redis);
  }
  return out;
}

// ---------------------------------------------------------------- recovery
// Connection state recovery (README, "Connection state recovery"): what it
// costs ours' fan-out, what a kept session costs in memory, and a reconnect
// storm of official socket.io-client sockets (bench/recovery_storm.mjs)
// against ours and Node's socket.io, both with recovery on.

/** The hub's recovery settings here: Socket.IO's documented 2-minute
 *  window, and maxKeptSessions raised (default 10,000) so that every
 *  session of any size run fits; the other bounds keep their defaults. */
const RECOVERY = { maxDisconnectionDuration: 120000, maxKeptSessions: 50000 };
const ROOM = 10;  // sockets per room in the storm (room r<index/10>)

/** A fan-out run in one log line: deliveries/s and per server CPU second. */
const fmtRun = (r) => `bursts ${Math.round(r.deliveriesPerSec)}/s, ${Math.round(r.burstRecv / r.serverCpuPreciseS)} per CPU s`
  + ` (${r.burstRecv}/${r.burstExpected}); back to back ${Math.round(r.seqDeliveriesPerSec)}/s, ${Math.round(r.seqRecv / r.seqServerCpuPreciseS)} per CPU s`;

/** The q-quantile of the numbers in v (null when empty). */
function quantile(v, q) {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The fan scenario's fanout() on two servers of ours, recovery off and on,
 *  each with S.recoveryFanN clients of its own: one run on each first, not
 *  kept (a server's first fan-out is slower: its write queues and buffers
 *  grow to size), then alternating (off, on, on, off, ...)
 *  S.recoveryFanReps times. */
async function recoveryFan(out) {
  const sys = {};
  try {
    for (const k of ['off', 'on']) {
      log(`recovery fan-out: ${S.recoveryFanN} clients to ours, recovery ${k}`);
      const server = await startOurs({ recovery: k === 'on' ? RECOVERY : undefined });
      const c = await connectClients(server, S.recoveryFanN, 2);
      if (c.failed) out.notes.push(`fan-out, recovery ${k}: ${c.failed} of ${S.recoveryFanN} clients failed to connect`);
      sys[k] = { server, lgs: c.lgs, n: c.ok };
    }
    for (const k of ['off', 'on']) {
      const r = await fanout(sys[k]);
      log(`recovery fan-out ${k}, warm-up (not kept): ${fmtRun(r)}`);
    }
    for (let rep = 0; rep < S.recoveryFanReps; rep++) {
      for (const k of rep % 2 ? ['on', 'off'] : ['off', 'on']) {
        const r = await fanout(sys[k]);
        // per server CPU second from schedstat (ns): a fan-out run of a
        // few thousand clients takes only tens of 10 ms ticks
        Object.assign(r, { sockets: sys[k].n, perCpuS: r.burstRecv / r.serverCpuPreciseS,
                           seqPerCpuS: r.seqRecv / r.seqServerCpuPreciseS });
        out.fan[k].push(r);
        log(`recovery fan-out ${k}: ${fmtRun(r)}`);
      }
    }
    out.fanKept = await sys.on.server.metric('sio_recovery_kept_sessions');
  } finally {
    for (const x of Object.values(sys)) await killAll(x.lgs, x.server);
  }
}

/** A fresh server of ours: RSS before any client, with S.recoveryMemN
 *  connected (one sio-bench-client process), and after that process is
 *  killed (the kernel closes every TCP connection at once: a transport
 *  close for each socket), once the server has registered every loss
 *  (ours with recovery: `sio_recovery_kept_sessions`; without:
 *  `sio_connections_closed_total`, bounded to 30 s) and S.recoverySettleMs
 *  more. Without recovery it is the control: what the allocator keeps of
 *  the same closed connections. */
async function keptMemory(recovery) {
  const server = await startOurs({ recovery });
  try {
    await sleep(500);
    const rss0 = procInfo(server).rssKb;
    const c = await connectClients(server, S.recoveryMemN, 1);
    await sleep(2000);
    const rss1 = procInfo(server).rssKb;
    const closed0 = (await server.closedCount()).n;
    const kept0 = await server.metric('sio_recovery_kept_sessions');
    const t0 = performance.now();
    for (const lg of c.lgs) lg.child.kill('SIGKILL');
    let kept = 0, closed = 0;
    for (;;) {
      kept = (await server.metric('sio_recovery_kept_sessions')) - kept0;
      closed = (await server.closedCount()).n - closed0;
      if ((recovery ? kept : closed) >= c.ok || performance.now() - t0 > 30000) break;
      await sleep(50);
    }
    const noticedMs = performance.now() - t0;
    await sleep(S.recoverySettleMs);
    const rss2 = procInfo(server).rssKb;
    const keptAfter = (await server.metric('sio_recovery_kept_sessions')) - kept0;
    // The same number of new clients (fresh sockets, not recovering): they
    // reuse what the allocator kept of the closed connections, so RSS now
    // less RSS with the first ones connected is what the kept sessions hold.
    const c2 = await connectClients(server, S.recoveryMemN, 1);
    await sleep(2000);
    const rss3 = procInfo(server).rssKb;
    const keptWithNew = (await server.metric('sio_recovery_kept_sessions')) - kept0;
    await killAll(c2.lgs);
    return { recovery: !!recovery, n: c.ok, failed: c.failed, rss0, rss1, rss2, rss3, kept: keptAfter, keptWithNew, closed, noticedMs,
             newClients: c2.ok, perConn: ((rss1 - rss0) * 1024) / c.ok, perKept: ((rss2 - rss0) * 1024) / c.ok,
             perKeptRefill: ((rss3 - rss1) * 1024) / c.ok };
  } finally {
    await server.kill();
  }
}

/** One side of the storm: its server with recovery on, S.recoveryStormN
 *  socket.io-client sockets over S.recoveryStormProcs processes, each
 *  socket in room r<index/10> (ours: REST `PUT groups/{room}/connections/{id}`;
 *  Node: a join event). */
async function stormSide(kind) {
  const server = kind === 'ours' ? await startOurs({ recovery: RECOVERY })
    : await startNode({ kind: 'node', recovery: RECOVERY });
  const side = { kind, server, cps: [] };
  try {
    const n = S.recoveryStormN, per = Math.ceil(n / S.recoveryStormProcs);
    for (let i = 0; i * per < n; i++) {
      const cp = await start(process.execPath, [path.join(here, 'recovery_storm.mjs'), '--port', String(server.port),
        '--path', PATH, '--base', String(i * per), '--room', String(ROOM), '--delay', String(S.recoveryDelayMs),
        '--rand', String(S.recoveryRand), '--cut', S.recoveryCut], /"ev":"ready"/, 'recovery_storm');
      cp.base = i * per;
      cp.requested = Math.min(per, n - i * per);
      side.cps.push(withCommands(cp, 'recovery_storm'));
    }
    const t0 = performance.now();
    const res = await Promise.all(side.cps.map((cp, i) => cp.cmd(`connect ${Math.min(per, n - i * per)} 50`, 'connected', 300000)));
    side.connectSecs = (performance.now() - t0) / 1000;
    res.forEach((r, i) => { side.cps[i].clients = r.ok; });
    side.n = res.reduce((a, r) => a + r.ok, 0);
    side.failed = res.reduce((a, r) => a + r.failed, 0);
    const j0 = performance.now();
    await server.join(side.cps);
    side.joinSecs = (performance.now() - j0) / 1000;
    return side;
  } catch (e) {
    await killAll(side.cps, server);
    throw e;
  }
}

/** What the server says about its sockets: ours from /metrics, Node from
 *  /stats (disconnects by reason, connections, recovered connections). */
async function recoveryCounters(side) {
  const s = side.server;
  if (side.kind === 'ours') {
    const [kept, recovered, refused, expired, closed] = await Promise.all([
      s.metric('sio_recovery_kept_sessions'), s.metric('sio_recovery_recovered_total'),
      s.metric('sio_recovery_refused_total'), s.metric('sio_recovery_expired_total'), s.closedCount()]);
    return { kept, recovered, refused, expired, closed: closed.n };
  }
  const st = await s.stats();
  return { recovered: st.recovered, connections: st.connections, closed: Object.values(st.closed).reduce((a, b) => a + b, 0) };
}

/** One storm: every socket gets an event (so that it holds an offset), then
 *  every client process cuts all its transports at once; once the server
 *  has registered every loss (bounded: at most until 80 % of the earliest
 *  reconnect attempt), the backend sends S.recoveryK events "m" 0..K-1 to
 *  the namespace, one after another; the sockets reconnect by themselves.
 *  Measured: per socket, the time from the cut until it is recovered and
 *  has all K events; server CPU from the cut until the last one (or the
 *  bound); then one event to each room, which every socket must get once. */
async function stormOnce(side, rep) {
  const { server, cps, n } = side;
  const K = S.recoveryK;
  const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0);
  await Promise.all(cps.map((cp) => cp.cmd(`arm ${K}`, 'armed')));
  const w = await server.send(['w', rep]);
  if (w.status >= 300) throw new Error(`storm warm-up send: ${w.status} ${w.body}`);
  const warm = sum(await Promise.all(cps.map((cp) => cp.cmd('waitev w 10000', 'waitev', 20000))), 'ok');
  await sleep(300);
  const c0 = await recoveryCounters(side);
  const cpu0 = cpuPrecise(server.pids);
  const th0 = threadTicks(server);
  const cuts = await Promise.all(cps.map((cp) => cp.cmd('cut', 'cut')));
  const cutUs = Math.min(...cuts.map((c) => c.us));
  // The earliest reconnect attempt comes reconnectionDelay x (1 - rand)
  // after a socket's loss; stop waiting for the server well before it.
  const deadlineUs = cutUs + 1000 * 0.8 * S.recoveryDelayMs * (1 - S.recoveryRand);
  let away = 0;
  for (;;) {
    const c = side.kind === 'ours' ? { kept: await server.metric('sio_recovery_kept_sessions') }
      : { closed: await recoveryCounters(side).then((x) => x.closed) };
    away = side.kind === 'ours' ? c.kept - c0.kept : c.closed - c0.closed;
    if (away >= n || nowUs() >= deadlineUs) break;
    await sleep(10);
  }
  const awayMs = (nowUs() - cutUs) / 1000;
  for (let j = 0; j < K; j++) {
    const r = await server.send(['m', j]);
    if (r.status >= 300) throw new Error(`storm send: ${r.status} ${r.body}`);
  }
  const sentUs = nowUs();
  const st = await Promise.all(cps.map((cp) => cp.cmd(`wait ${S.recoveryWaitMs}`, 'storm', S.recoveryWaitMs + 30000)));
  const cpu1 = cpuPrecise(server.pids);
  const th1 = threadTicks(server);
  const endUs = nowUs();
  const c1 = await recoveryCounters(side);
  // Per-socket times, each from its own cut (the processes cut within a
  // few ms of each other); "to all" from the first cut to the last done.
  const done = [], fromAttempt = [], connected = [];
  let allDone = true;
  st.forEach((x) => {
    x.doneUs.forEach((d, k) => {
      if (x.connectUs[k] >= 0) connected.push(x.connectUs[k]);
      if (d < 0) { allDone = false; return; }
      done.push(d);
      if (x.attemptUs[k] >= 0) fromAttempt.push(d - x.attemptUs[k]);
    });
  });
  const last = Math.max(...st.map((x) => x.lastDoneUs));
  const firstAttemptUs = Math.min(...st.map((x) => x.firstAttemptUs));
  // Rooms kept: one event to each room, every socket must get its own once.
  const rooms = [...new Set(cps.flatMap((cp) => Array.from({ length: cp.requested }, (_, k) => `r${Math.floor((cp.base + k) / ROOM)}`)))];
  let next = 0;
  const roomWorker = async () => {
    while (next < rooms.length) {
      const room = rooms[next++];
      const r = await server.send(['r', room], room);
      if (r.status >= 300) throw new Error(`storm room send: ${r.status} ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, roomWorker));
  const rw = await Promise.all(cps.map((cp) => cp.cmd('roomwait 10000', 'rooms', 20000)));
  const stormSecs = (endUs - cutUs) / 1e6;
  const ms = (us) => (us === null ? null : us / 1000);
  return {
    sockets: n, k: K, warm, awaySeen: away, awayMs, sentMs: (sentUs - cutUs) / 1000,
    firstAttemptMs: (firstAttemptUs - cutUs) / 1000, sentBeforeFirstAttempt: sentUs < firstAttemptUs,
    cutMode: cuts[0].mode, cutLoopMs: Math.max(...cuts.map((c) => c.loopMs)), cutSpreadMs: (Math.max(...cuts.map((c) => c.us)) - cutUs) / 1000,
    complete: sum(st, 'complete'), recovered: sum(st, 'recovered'), fresh: sum(st, 'fresh'),
    notReconnected: sum(st, 'notReconnected'), noAttempt: sum(st, 'noAttempt'), sameId: sum(st, 'sameId'),
    missing: sum(st, 'missing'), dups: sum(st, 'dups'), outOfOrder: sum(st, 'outOfOrder'),
    reconnectedAgain: sum(st, 'reconnectedAgain'), examples: st.flatMap((x) => x.examples).slice(0, 5),
    allMs: allDone ? (last - cutUs) / 1000 : null,
    p50Ms: ms(quantile(done, 0.5)), p99Ms: ms(quantile(done, 0.99)), maxMs: ms(quantile(done, 1)),
    connectP50Ms: ms(quantile(connected, 0.5)), connectP99Ms: ms(quantile(connected, 0.99)),
    fromAttemptP50Ms: ms(quantile(fromAttempt, 0.5)), fromAttemptP99Ms: ms(quantile(fromAttempt, 0.99)),
    serverCpuS: cpu1 - cpu0, stormSecs, threads: busyThreads(th0, th1, stormSecs),
    clientCpuS: st.reduce((a, x, i) => a + (x.cpu_ms - cuts[i].cpu0), 0) / 1000, clientProcs: cps.length,
    clientLoopDelayMs: { p50: Math.max(...st.map((x) => x.loopDelayMs?.p50 ?? 0)), p99: Math.max(...st.map((x) => x.loopDelayMs?.p99 ?? 0)),
                         max: Math.max(...st.map((x) => x.loopDelayMs?.max ?? 0)) },
    counters: { before: c0, after: c1 },
    rooms: { rooms: rooms.length, ok: sum(rw, 'ok'), none: sum(rw, 'none'), twice: sum(rw, 'twice'), wrong: sum(rw, 'wrong') },
  };
}

async function recoveryScenario() {
  const out = { config: RECOVERY, room: ROOM, sizes: Object.fromEntries(Object.keys(S).filter((k) => k.startsWith('recovery')).map((k) => [k, S[k]])),
                scaled: process.env.BENCH_RECOVERY_N ? Number(process.env.BENCH_RECOVERY_N) : undefined,
                fan: { off: [], on: [] }, memory: {}, storm: { ours: [], node: [] }, stormSetup: {}, notes: [] };
  const parts = (process.env.BENCH_RECOVERY_PARTS || 'fan,memory,storm').split(',');
  if (parts.length < 3) out.parts = parts;
  try {
    if (parts.includes('fan')) await recoveryFan(out);
  } catch (e) {
    out.fanError = String(e.message || e);
    log(`recovery fan-out failed: ${out.fanError}`);
  }
  for (const k of parts.includes('memory') ? ['on', 'off'] : []) {
    log(`recovery memory: ${S.recoveryMemN} sockets kept, recovery ${k}`);
    try {
      out.memory[k] = await keptMemory(k === 'on' ? RECOVERY : undefined);
      log(`recovery memory ${k}: ${JSON.stringify(out.memory[k])}`);
    } catch (e) {
      out.memory[k] = { error: String(e.message || e) };
    }
  }
  const sides = {};
  if (!parts.includes('storm')) return out;
  try {
    for (const kind of ['ours', 'node']) {
      log(`recovery storm: connecting ${S.recoveryStormN} socket.io-client sockets to ${kind}`);
      sides[kind] = await stormSide(kind);
      const x = sides[kind];
      out.stormSetup[kind] = { sockets: x.n, failed: x.failed, connectSecs: x.connectSecs, joinSecs: x.joinSecs, procs: x.cps.length };
      log(`recovery storm ${kind}: ${JSON.stringify(out.stormSetup[kind])}`);
    }
    for (let rep = 0; rep < S.recoveryStormReps; rep++) {
      for (const kind of ['ours', 'node']) {
        const r = await stormOnce(sides[kind], rep);
        out.storm[kind].push(r);
        log(`recovery storm ${kind}: ${JSON.stringify(r)}`);
      }
    }
  } catch (e) {
    out.stormError = String(e.stack || e);
    log(`recovery storm failed: ${out.stormError}`);
  } finally {
    for (const x of Object.values(sides)) await killAll(x.cps, x.server);
  }
  return out;
}

// ---------------------------------------------------------------- main

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const mem = /MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1];
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  let sioVersion = '?';
  try { sioVersion = JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/socket.io/package.json'))).version; } catch { /* */ }
  return { nproc: os.cpus().length, model, memGiB: (Number(mem) / 1048576).toFixed(1), load,
           node: process.version, sioVersion, kernel: os.release() };
}

const want = (id) => !ONLY || ONLY.split(',').includes(id);
/** The results keys of each scenario (what `--merge` replaces), and the
 *  sizes it reads. */
const SECTION_KEYS = { idle: /^idle(1s)?_/, fan: /^fan_/, echo: /^echo(Normal)?_/, rooms: /^rooms_/,
  poll: /^poll_/, webhook: /^webhook$/, acks: /^acks$/, cluster: /^cluster$/, recovery: /^recovery$/ };
const SECTION_SIZES = { cluster: Object.keys(S).filter((k) => k.startsWith('cluster')), acks: ['acks', 'ackRounds'],
  recovery: Object.keys(S).filter((k) => k.startsWith('recovery')) };

async function main() {
  const t0 = Date.now();
  const m = machine();
  results.machine = m;
  log(`machine: ${m.nproc} cpus, ${m.model}, ${m.memGiB} GiB; load ${m.load}; ${QUICK ? 'quick' : 'full'} run`);

  // The Node setups of this run: eiows is a native addon that may not be
  // installed (package.json leaves it out: see nodeSetupsMissing).
  const nodeKinds = ['node', 'node2'];
  try {
    await import('eiows');
    nodeKinds.push('nodeEiows');
  } catch (e) {
    results.nodeSetupsMissing = { nodeEiows: { label: NODE_SETUPS.nodeEiows.label,
      why: 'eiows is not installed here (`npm install eiows` fails: eiows 11 needs'
      + ' Node 22 or later, and 9.2, the last release for Node 20, compiles against a clone of the running Node\'s'
      + ' own source tree that its install script fetches from GitHub, which this machine cannot reach)' } };
  }
  results.nodeSetups = Object.fromEntries(nodeKinds.map((k) => [k, NODE_SETUPS[k].label]));

  if (want('idle')) {
    // Memory at the default heartbeat (what users run): every setup gets its
    // clients alone (the others idle meanwhile, 400 pings/s each), then all
    // are held together for S.hold.
    const list = [];
    for (const kind of ['ours', ...nodeKinds]) {
      log(`idle capacity: ${kind}, pingInterval 25 s`);
      list.push(await idleConnect(kind, 25000));
    }
    await idleHold(list);
    for (const x of list) {
      results[`idle_${x.kind}`] = x.r;
      log(`idle ${x.kind}: ${JSON.stringify(x.r)}`);
    }
    // The same hold at 1 s pings (19k pings/s to answer), ours and Node's
    // single process each alone: together they would share the cores.
    for (const kind of ['ours', 'node']) {
      log(`idle capacity: ${kind}, pingInterval 1 s`);
      const x = await idleConnect(kind, 1000);
      await idleHold([x]);
      results[`idle1s_${kind}`] = x.r;
      log(JSON.stringify(x.r));
    }
  }

  if (want('fan') || want('rooms') || want('echo')) {
    // All servers up at once (each with its own clients) so that every
    // measurement alternates ours / the floor / the Node setups back to back.
    const sys = {};
    const floor = (want('echo') || want('fan')) && fs.existsSync(FLOOR) ? ['floor'] : [];
    const kinds = ['ours', ...floor, ...nodeKinds];
    for (const kind of kinds) {
      log(`connecting ${S.fan} clients to ${kind}`);
      sys[kind] = await setupMany(kind);
      log(`${kind}: ${sys[kind].n} connected`);
    }
    // Echo alternates more often than fan-out: on a shared 2-core box its
    // rate swings with the neighbours' load for both sides, and the best of
    // more alternations estimates each side's capacity better.
    for (let rep = 0; rep < Math.max(S.reps, S.echoReps); rep++) {
      for (const kind of kinds) {
        if (want('fan') && rep < S.reps) {
          const r = await fanout(sys[kind]);
          (results[`fan_${kind}`] ??= []).push(r);
          log(`fan-out ${kind}: ${JSON.stringify(r)}`);
        }
      }
      for (const kind of kinds) {
        if (want('echo') && rep < S.echoReps) {
          const r = await echo(sys[kind]);
          (results[`echo_${kind}`] ??= []).push(r);
          log(`echo ${kind}: ${JSON.stringify(r)}`);
        }
      }
      // The same echo with the generators at the normal policy, where each
      // of their wake-ups preempts whatever runs on that core.
      for (const kind of ['ours', 'node']) {
        if (want('echo') && rep < S.echoNormalReps) {
          const r = await echo(sys[kind], 'normal');
          (results[`echoNormal_${kind}`] ??= []).push(r);
          log(`echo ${kind}, normal policy: ${JSON.stringify(r)}`);
        }
      }
    }
    if (want('rooms')) {
      for (let rep = 0; rep < S.reps; rep++) {
        for (const kind of ['ours', ...nodeKinds]) {
          const r = await rooms(sys[kind], rep > 0);
          (results[`rooms_${kind}`] ??= []).push(r);
          log(`rooms ${kind}: ${JSON.stringify(r)}`);
        }
      }
    }
    for (const kind of kinds) await killAll(sys[kind].lgs, sys[kind].server);
  }

  if (want('poll')) {
    // eiows replaces only the WebSocket server: no polling run of its own.
    for (const kind of ['ours', ...nodeKinds.filter((k) => k !== 'nodeEiows')]) {
      log(`long-polling: ${kind}`);
      results[`poll_${kind}`] = await polling(kind);
      log(JSON.stringify(results[`poll_${kind}`]));
    }
  }

  if (want('webhook')) {
    const wired = fs.existsSync(path.join(repo, 'actors/webhook_dispatcher.hpp'));
    if (wired) {
      log('webhook echo');
      try {
        results.webhook = await webhook();
        log(JSON.stringify(results.webhook));
      } catch (e) {
        results.webhook = { error: String(e.message || e) };
      }
    } else {
      results.webhook = { skipped: 'actors/webhook_dispatcher.hpp not present' };
    }
  }

  if (want('acks')) {
    results.acks = {};
    for (const kind of ['ours', ...nodeKinds]) {
      log(`acked sends: ${kind}, ${S.acks} sockets`);
      try {
        results.acks[kind] = await ackedSends(kind);
      } catch (e) {
        results.acks[kind] = { error: String(e.message || e) };
      }
      log(JSON.stringify(results.acks[kind]));
    }
  }

  if (want('cluster')) {
    log('cluster: three nodes on one Redis, ours and Node');
    results.cluster = await clusterScenario();
  }

  if (want('recovery')) {
    log('connection state recovery: fan-out off/on, memory per kept session, reconnect storm');
    results.recovery = await recoveryScenario();
  }

  results.totalSecs = (Date.now() - t0) / 1000;
  results.sizes = S;
  results.notes = notes;
  results.quick = QUICK;
  results.loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  // The time of the run, so that re-rendering the saved results keeps it.
  results.finishedAt = new Date().toISOString();
  // The raw results beside the report: `node bench/report.mjs` renders the
  // same report from them.
  fs.writeFileSync(OUT_JSON, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(OUT, (await import('./report.mjs')).render(results));
  log(`wrote ${OUT} and ${OUT_JSON} (${results.totalSecs.toFixed(0)} s)`);
  if (ONLY && flag('--merge')) {
    // `--only <ids> --merge`: those sections of this run replace theirs in
    // the committed results, each marked as from a separate run; every
    // other section stays as it was.
    const file = path.join(repo, 'BENCHMARKS.json');
    const full = JSON.parse(fs.readFileSync(file, 'utf8'));
    const separateRun = { finishedAt: results.finishedAt, secs: results.totalSecs,
      load: results.machine.load, loadAfter: results.loadAfter, quick: QUICK, only: ONLY };
    full.separateRuns = { ...(full.separateRuns ?? {}) };
    for (const id of ONLY.split(',')) {
      const keys = SECTION_KEYS[id];
      if (!keys) continue;
      for (const k of Object.keys(results)) if (keys.test(k)) full[k] = results[k];
      full.separateRuns[id] = separateRun;
      for (const k of SECTION_SIZES[id] ?? []) full.sizes[k] = S[k];
    }
    fs.writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
    fs.writeFileSync(path.join(repo, 'BENCHMARKS.md'), (await import('./report.mjs')).render(full));
    log(`merged the ${ONLY} section(s) into BENCHMARKS.json and BENCHMARKS.md`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e.stack || e);
  process.exit(1);
});
