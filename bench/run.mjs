// bench/run.mjs
// The benchmark driver behind scripts/bench: starts sio-server (release
// build) and the Node.js socket.io baseline (bench/node-server.mjs), drives
// both with bench/sio-bench-client processes, runs each scenario on ours and
// Node back to back, and writes BENCHMARKS.md. It reports; it never fails CI.
//
//   node bench/run.mjs --build build-bench [--quick] [--out BENCHMARKS.md]
//   BENCH_IO_THREADS=n sets ours' ioThreads (default: the service's own).
//   BENCH_SCHEDULER=asio|caf sets ours' scheduler (default: asio).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
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
const OUT = path.resolve(repo, opt('--out', 'BENCHMARKS.md'));
const ONLY = opt('--only', '');  // comma list of scenario ids, for development
const SIO_SERVER = path.join(BUILD, 'examples/sio-server/sio-server');
const LOADGEN = path.join(BUILD, 'bench/sio-bench-client');
const FLOOR = path.join(BUILD, 'bench/sio-bench-floor');
const HUB = 'bench';
const PATH = `/clients/socketio/hubs/${HUB}/`;

// Sizes: full run / --quick.
const S = QUICK
  ? { idle1: 5000, idle2: 10000, hold: 15000, fan: 5000, latRounds: 5, burst: 10, burstRounds: 2,
      roomMs: 3000, echoK: 200, echoMs: 3000, reps: 1, echoReps: 1, echoNormalReps: 1, poll: 300, pollMs: 4000, hookMs: 3000 }
  : { idle1: 10000, idle2: 19000, hold: 60000, fan: 10000, latRounds: 10, burst: 20, burstRounds: 4,
      roomMs: 5000, echoK: 200, echoMs: 5000, reps: 2, echoReps: 6, echoNormalReps: 2, poll: 1000, pollMs: 8000, hookMs: 5000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const children = new Set();
process.on('exit', () => { for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---------------------------------------------------------------- processes

/** Spawns a process, collects its lines, resolves when `ready` matches a line. */
function start(cmd, args, ready, name) {
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
  return waitLine(ready).then((line) => Object.assign(proc, { readyLine: line }));
}

/** /proc facts of a process: VmRSS in KiB, CPU seconds so far. */
function procInfo(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100;  // USER_HZ on Linux
  return { rssKb: rss, cpuS: (Number(f[11]) + Number(f[12])) / tick };
}

/** Context switches of all of a process's threads (voluntary: it waited;
 *  involuntary: it was preempted). */
function switches(pid) {
  let vol = 0, invol = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
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

async function startOurs({ pingInterval = 25000, handler = { inProcessHandler: 'echo' }, threads } = {}) {
  const cfg = {
    listen: { host: '127.0.0.1', port: 0 },
    ...(threads ? { workerThreads: threads, ioThreads: threads } : {}),
    ...(process.env.BENCH_IO_THREADS ? { ioThreads: Number(process.env.BENCH_IO_THREADS) } : {}),
    ...(process.env.BENCH_SCHEDULER ? { scheduler: process.env.BENCH_SCHEDULER } : {}),
    engineio: { pingInterval, pingTimeout: 20000 },
    hubs: { [HUB]: { anonymousConnectPolicy: 'allow', ...handler } },
  };
  const file = path.join(os.tmpdir(), `sio-bench-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  const p = await start(SIO_SERVER, ['--config', file], /connection string:/, 'sio-server');
  const m = /Endpoint=http:\/\/127\.0\.0\.1:(\d+);AccessKey=([^;]+);/.exec(p.readyLine);
  p.port = Number(m[1]);
  p.key = m[2];
  p.kind = 'ours';
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

async function startNode({ pingInterval = 25000 } = {}) {
  const p = await start(process.execPath, [path.join(here, 'node-server.mjs'), '--ping-interval', String(pingInterval)],
    /^listening \d+/, 'node-server');
  p.port = Number(/listening (\d+)/.exec(p.readyLine)[1]);
  p.kind = 'node';
  p.emit = (name, room) => request(p.port, 'POST', `/emit${room === undefined ? '' : `?room=${room}`}`,
    JSON.stringify([name, nowUs()]), { 'Content-Type': 'application/json' });
  p.join = async (lgs) => { await Promise.all(lgs.map((lg) => lg.cmd('join', 'joined', 120000))); };
  p.closedCount = async () => {
    const r = JSON.parse((await request(p.port, 'GET', '/stats')).body);
    const n = Object.values(r.closed).reduce((a, b) => a + b, 0);
    return { n, reasons: r.closed };
  };
  return p;
}

/** The echo floor (bench/floor_server.cpp): read, ack, write, nothing else. */
async function startFloor() {
  const p = await start(FLOOR, ['--threads', String(os.cpus().length)], /^listening \d+/, 'floor');
  p.port = Number(/listening (\d+)/.exec(p.readyLine)[1]);
  p.kind = 'floor';
  return p;
}

// ---------------------------------------------------------------- load generators

async function startLoadgen(port, base) {
  const p = await start(LOADGEN, ['--port', String(port), '--path', PATH, '--base', String(base)],
    /"ev":"ready"/, 'loadgen');
  p.base = base;
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
          if (Date.now() - t0 > ms) { reject(new Error(`loadgen: no ${ev} for '${line}' in ${ms} ms`)); return; }
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
  const ok = res.reduce((a, r) => a + r.ok, 0);
  return { lgs, ok, failed: res.reduce((a, r) => a + r.failed, 0), secs, rate: ok / secs };
}

async function moreClients(lgs, n, conc = 100) {
  const per = Math.ceil(n / lgs.length);
  const t0 = performance.now();
  const res = await Promise.all(lgs.map((lg) => lg.cmd(`connect ${per} ${conc}`, 'connected', 300000)));
  const secs = (performance.now() - t0) / 1000;
  return { ok: res.reduce((a, r) => a + r.ok, 0), failed: res.reduce((a, r) => a + r.failed, 0), secs };
}

const lgStats = async (lgs, cmd = 'stats', ev = 'stats') => Promise.all(lgs.map((lg) => lg.cmd(cmd, ev)));
const killAll = async (...ps) => { for (const p of ps.flat()) if (p) await p.kill(); };

/** Merges percentiles of several processes conservatively (max of each). */
const mergePct = (rs, k) => Math.max(...rs.map((r) => r[k]));

// ---------------------------------------------------------------- scenarios

const results = {};
const notes = [];

/** Idle capacity at `pingInterval` ms: RSS per connection, then a hold. */
async function scenarioIdle(kind, pingInterval) {
  const server = kind === 'ours' ? await startOurs({ pingInterval }) : await startNode({ pingInterval });
  await sleep(500);
  const rss0 = procInfo(server.pid).rssKb;
  const c1 = await connectClients(server, S.idle1, 2);
  await sleep(2000);
  const rss1 = procInfo(server.pid).rssKb;
  const c2 = await moreClients(c1.lgs, S.idle2 - S.idle1);
  await sleep(2000);
  const rss2 = procInfo(server.pid).rssKb;
  const closedBefore = await server.closedCount();
  const cpu0 = procInfo(server.pid).cpuS;
  log(`${kind}: ${c2.ok} clients held for ${S.hold / 1000} s at pingInterval ${pingInterval / 1000} s`);
  await sleep(S.hold);
  const cpu1 = procInfo(server.pid).cpuS;
  const closedAfter = await server.closedCount();
  const st = await lgStats(c1.lgs);
  const r = {
    n1: c1.ok, failed1: c1.failed, connectRate: c1.rate, connectSecs: c1.secs,
    n2: c2.ok, failed2: c2.failed,  // the generators' counters are cumulative
    rss0, rss1, rss2,
    perConn1: ((rss1 - rss0) * 1024) / c1.ok,
    perConn2: ((rss2 - rss0) * 1024) / c2.ok,
    closedDuringHold: closedAfter.n - closedBefore.n,
    closedReasons: closedAfter.reasons,
    clientSeenClosed: st.reduce((a, s) => a + s.closed, 0),
    live: st.reduce((a, s) => a + s.live, 0),
    holdCpuPct: (100 * (cpu1 - cpu0)) / (S.hold / 1000),
    pingInterval,
  };
  await killAll(c1.lgs, server);
  return r;
}

/** Fan-out, rooms and echo on one server with S.fan clients. */
async function setupMany(kind) {
  const server = kind === 'ours' ? await startOurs()
    : kind === 'node' ? await startNode() : await startFloor();
  const c = await connectClients(server, S.fan, 2);
  return { server, lgs: c.lgs, n: c.ok };
}

async function fanout({ server, lgs, n }) {
  // 1. latency: one broadcast at a time, wait until every client got it
  await lgStats(lgs, 'reset', 'reset');
  let expected = 0;
  for (let i = 0; i < S.latRounds; i++) {
    const r = await server.emit('b');
    if (r.status >= 300) throw new Error(`broadcast: ${r.status} ${r.body}`);
    expected += n;
    await Promise.all(lgs.map((lg, k) => lg.cmd(`wait ${Math.ceil(expected / lgs.length)} 10000`, 'wait')));
    await sleep(100);
  }
  const single = await lgStats(lgs);
  // 2. throughput: bursts of S.burst broadcasts
  await lgStats(lgs, 'reset', 'reset');
  const cpu0 = procInfo(server.pid).cpuS;
  const lcpu0 = single.reduce((a, s) => a + s.cpu_ms, 0);
  const t0 = nowUs();
  expected = 0;
  const perLg = lgs.map(() => 0);
  for (let round = 0; round < S.burstRounds; round++) {
    await Promise.all(Array.from({ length: S.burst }, () => server.emit('b')));
    expected += S.burst * n;
    await Promise.all(lgs.map((lg) => lg.cmd(`wait ${Math.floor((expected / lgs.length) * 0.999)} 30000`, 'wait', 40000)));
  }
  await sleep(200);
  const st = await lgStats(lgs);
  const recv = st.reduce((a, s) => a + s.recv, 0);
  const tEnd = Math.max(...st.map((s) => s.last_us));
  const secs = (tEnd - t0) / 1e6;
  return {
    singleP50: mergePct(single, 'p50'), singleP99: mergePct(single, 'p99'),
    singleRecv: single.reduce((a, s) => a + s.recv, 0), singleExpected: S.latRounds * n,
    burstRecv: recv, burstExpected: expected, burstSecs: secs,
    deliveriesPerSec: recv / secs,
    burstP50: mergePct(st, 'p50'), burstP99: mergePct(st, 'p99'),
    serverCpuS: procInfo(server.pid).cpuS - cpu0,
    loadgenCpuS: (st.reduce((a, s) => a + s.cpu_ms, 0) - lcpu0) / 1000,
  };
}

async function rooms({ server, lgs, n }, joined) {
  if (!joined) {
    const t0 = performance.now();
    await server.join(lgs);
    notes.push(`${server.kind}: joining ${n} sockets to ${Math.ceil(n / 10)} rooms took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const nRooms = Math.ceil(n / 10);
  await lgStats(lgs, 'reset', 'reset');
  const cpu0 = procInfo(server.pid).cpuS;
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
  await Promise.all(lgs.map((lg) => lg.cmd(`wait ${Math.floor((sends * 10 * 0.99) / lgs.length)} 5000`, 'wait')));
  const st = await lgStats(lgs);
  const recv = st.reduce((a, s) => a + s.recv, 0);
  return {
    sends, secs, sendsPerSec: sends / secs, recv, expected: sends * 10,
    deliveriesPerSec: recv / secs,
    p50: mergePct(st, 'p50'), p99: mergePct(st, 'p99'),
    serverCpuS: procInfo(server.pid).cpuS - cpu0,
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
  const cpu0 = procInfo(server.pid).cpuS;
  const sw0 = switches(server.pid);
  const rs = await Promise.all(lgs.map((lg) => lg.cmd(`echo ${Math.ceil(k / lgs.length)} ${ms}`, 'echo', ms + 30000)));
  const sw1 = switches(server.pid);
  const cpu1 = procInfo(server.pid).cpuS;
  await Promise.all(lgs.map((lg) => lg.cmd('sched normal', '(?:sched|error)')));
  const acks = rs.reduce((a, r) => a + r.acks, 0);
  const secs = Math.max(...rs.map((r) => r.secs));
  return {
    policy, clients: rs.reduce((a, r) => a + r.clients, 0), acks, secs, acksPerSec: acks / secs,
    p50: mergePct(rs, 'p50'), p99: mergePct(rs, 'p99'),
    serverCpuS: cpu1 - cpu0,
    serverSwitches: { vol: sw1.vol - sw0.vol, invol: sw1.invol - sw0.invol },
    loadgenCpuS: rs.reduce((a, r) => a + r.cpu_ms, 0) / 1000,
  };
}

/** Long-polling clients (Engine.IO v4 over HTTP), each in a closed ack loop. */
async function polling(kind) {
  const server = kind === 'ours' ? await startOurs() : await startNode();
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
  const cpu0 = procInfo(server.pid).cpuS;
  const myCpu0 = process.cpuUsage();
  measuring = true;
  const t0 = performance.now();
  await sleep(S.pollMs);
  measuring = false;
  const secs = (performance.now() - t0) / 1000;
  const cpu = procInfo(server.pid).cpuS - cpu0;
  const mine = process.cpuUsage(myCpu0);
  stop = true;
  await Promise.race([Promise.all(all), sleep(10000)]);
  pagent.destroy();
  await server.kill();
  lat.sort((a, b) => a - b);
  const pct = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? -1);
  return { clients: S.poll, failed, trips, secs, tripsPerSec: trips / secs, p50: pct(0.5), p99: pct(0.99),
           serverCpuS: cpu, loadgenCpuS: (mine.user + mine.system) / 1e6 };
}

async function webhook() {
  const up = await start(process.execPath, [path.join(here, 'webhook-upstream.mjs')], /^listening \d+/, 'upstream');
  const upPort = Number(/listening (\d+)/.exec(up.readyLine)[1]);
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
  // The upstream alone (at the dispatcher's connection count, 32) and ours
  // through it, alternately, S.reps times: the best of each, as elsewhere
  // (the upstream alone swings by a third between runs on a shared box).
  const aloneRuns = [], oursRuns = [], defaultRuns = [];
  for (let rep = 0; rep < S.reps; rep++) {
    const a = JSON.parse(execFileSync(process.execPath,
      [path.join(here, 'http-loop.mjs'), String(upPort), '32', String(S.hookMs)], { encoding: 'utf8' }).trim());
    aloneRuns.push({ ...a, reqsPerSec: a.reqs / a.secs });
    for (const [server, c, runs] of [[one, c1, oursRuns], [dflt, c2, defaultRuns]]) {
      const upCpu0 = procInfo(up.pid).cpuS;
      const r = await echo({ server, lgs: c.lgs }, 'normal', S.echoK, S.hookMs);
      r.upstreamCpuS = procInfo(up.pid).cpuS - upCpu0;
      runs.push(r);
    }
  }
  await killAll(c1.lgs, c2.lgs, one, dflt, up);
  return { alone: best(aloneRuns, 'reqsPerSec'), ours: best(oursRuns, 'acksPerSec'),
           oursDefault: best(defaultRuns, 'acksPerSec'), aloneRuns, oursRuns, defaultRuns };
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

async function main() {
  const t0 = Date.now();
  const m = machine();
  results.machine = m;
  log(`machine: ${m.nproc} cpus, ${m.model}, ${m.memGiB} GiB; load ${m.load}; ${QUICK ? 'quick' : 'full'} run`);

  if (want('idle')) {
    // Memory at the default heartbeat (what users run), then the same hold
    // at 1 s pings (19k pings/s to answer).
    for (const [key, interval] of [['idle', 25000], ['idle1s', 1000]]) {
      for (const kind of ['ours', 'node']) {
        log(`idle capacity: ${kind}, pingInterval ${interval} ms`);
        results[`${key}_${kind}`] = await scenarioIdle(kind, interval);
        log(JSON.stringify(results[`${key}_${kind}`]));
      }
    }
  }

  if (want('fan') || want('rooms') || want('echo')) {
    // Both servers up at once (each with its own clients) so that every
    // measurement alternates ours / node back to back.
    const sys = {};
    // The echo floor runs with the same idle clients, between ours and Node.
    const echoKinds = want('echo') && fs.existsSync(FLOOR) ? ['ours', 'floor', 'node'] : ['ours', 'node'];
    for (const kind of echoKinds) {
      log(`connecting ${S.fan} clients to ${kind}`);
      sys[kind] = await setupMany(kind);
      log(`${kind}: ${sys[kind].n} connected`);
    }
    // Echo alternates more often than fan-out: on a shared 2-core box its
    // rate swings with the neighbours' load for both sides, and the best of
    // more alternations estimates each side's capacity better.
    for (let rep = 0; rep < Math.max(S.reps, S.echoReps); rep++) {
      for (const kind of ['ours', 'node']) {
        if (want('fan') && rep < S.reps) {
          const r = await fanout(sys[kind]);
          (results[`fan_${kind}`] ??= []).push(r);
          log(`fan-out ${kind}: ${JSON.stringify(r)}`);
        }
      }
      for (const kind of echoKinds) {
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
        for (const kind of ['ours', 'node']) {
          const r = await rooms(sys[kind], rep > 0);
          (results[`rooms_${kind}`] ??= []).push(r);
          log(`rooms ${kind}: ${JSON.stringify(r)}`);
        }
      }
    }
    for (const kind of echoKinds) await killAll(sys[kind].lgs, sys[kind].server);
  }

  if (want('poll')) {
    for (const kind of ['ours', 'node']) {
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

  results.totalSecs = (Date.now() - t0) / 1000;
  results.sizes = S;
  results.notes = notes;
  results.quick = QUICK;
  results.loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  // The time of the run, so that re-rendering the saved results keeps it.
  results.finishedAt = new Date().toISOString();
  // A partial run (--only) must not replace the saved full run that
  // `node bench/report.mjs` re-renders BENCHMARKS.md from.
  const saved = ONLY ? 'bench-results-partial.json' : 'bench-results.json';
  fs.writeFileSync(path.join(BUILD, saved), JSON.stringify(results, null, 2));
  fs.writeFileSync(OUT, (await import('./report.mjs')).render(results, { quick: QUICK, sizes: S, notes }));
  log(`wrote ${OUT} (${results.totalSecs.toFixed(0)} s)`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e.stack || e);
  process.exit(1);
});
