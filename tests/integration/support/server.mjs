// Starts the real service binaries (sio-server, eio-echo) for integration tests:
// writes a temporary config, spawns the process, waits for its start-up lines,
// collects every output line, and guarantees the process is killed afterwards.
// SIO_SERVER / EIO_ECHO name the binaries; the value `reference` selects the
// Node stand-ins in ./reference/ (used to check the tests' own logic).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');

const START_TIMEOUT_MS = 10000;
const live = new Set();

// Safety net: a test that forgot its after() hook or a crashed runner must not
// leave servers behind.
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Resolves the executable from an environment variable, a reference script or the default build dir. */
function resolveBinary(envName, referenceScript, defaultRelPaths) {
  const value = process.env[envName];
  if (value === 'reference') return path.join(here, 'reference', referenceScript);
  if (value) return path.resolve(value);
  for (const rel of defaultRelPaths) {
    const candidate = path.join(repo, rel);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${envName} is not set and none of ${defaultRelPaths.join(', ')} exists ` +
    `(build it, or set ${envName}=reference to use the Node stand-in)`);
}

/** Spawns a binary; `.mjs`/`.js` scripts run under the current node. `env` adds to ours. */
function spawnBinary(bin, args, env) {
  const isScript = /\.(m?js)$/.test(bin);
  const cmd = isScript ? process.execPath : bin;
  const fullArgs = isScript ? [bin, ...args] : args;
  return spawn(cmd, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/**
 * Common process wrapper: line capture, waitForLog, kill. `ready` is a regex
 * list; resolves once every one matched a line (bounded by START_TIMEOUT_MS).
 */
function supervise(child, name, ready, t) {
  live.add(child);
  const logs = [];
  const waiters = new Set();
  let exited = null;

  const onLine = (line) => {
    logs.push(line);
    if (process.env.SIO_TEST_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
    for (const w of waiters) w.check();
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);

  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      for (const w of waiters) w.check();
      resolve(exited);
    });
  });

  const tail = () => logs.slice(-30).join('\n');

  /** Resolves with the first line at index >= from that matches re. */
  function waitForLog(re, timeoutMs = 3000, { from = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const w = {
        check() {
          for (let i = from; i < logs.length; i++) {
            if (re.test(logs[i])) { done(); resolve(logs[i]); return; }
          }
          if (exited) {
            done();
            reject(new Error(`${name} exited (${JSON.stringify(exited)}) before a line matched ${re}\n--- log tail ---\n${tail()}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${name} log line matched ${re} within ${timeoutMs} ms\n--- log tail ---\n${tail()}`));
      }, timeoutMs);
      function done() { clearTimeout(timer); waiters.delete(w); }
      waiters.add(w);
      w.check();
    });
  }

  async function kill() {
    if (exited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 12000);
    const r = await exitPromise;
    clearTimeout(timer);
    // Under ASan/UBSan (scripts/test's second build) a report on exit is a
    // test failure, not just noise on stderr.
    const report = logs.find((l) => /ERROR: (Address|Leak)Sanitizer|runtime error:/.test(l));
    if (report) throw new Error(`${name} sanitizer report: ${report}`);
    return r;
  }

  if (t && typeof t.after === 'function') t.after(() => kill());

  const startup = (async () => {
    const lines = [];
    for (const re of ready) lines.push(await waitForLog(re, START_TIMEOUT_MS));
    return lines;
  })();
  startup.catch(() => kill());

  return { child, logs, waitForLog, kill, startup, exited: () => exited, pid: child.pid, exitPromise };
}

function deepMerge(base, extra) {
  const out = { ...base };
  for (const [k, v] of Object.entries(extra ?? {})) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && typeof base[k] === 'object'
      ? deepMerge(base[k], v) : v;
  }
  return out;
}

/**
 * Starts sio-server with a temp config.
 * options: { t (node:test context, kills on t.after), engineio: {...}, hubs: [names] or {name: cfg},
 *            config: {...} merged last, env: {...} added to the process's environment }
 * Returns { port, origin, url(hub), path(hub), key, connectionString, logs, waitForLog, kill, pid }.
 */
export async function startSioServer(options = {}) {
  const bin = resolveBinary('SIO_SERVER', 'sio-server.mjs',
    ['build/examples/sio-server/sio-server', 'build/examples/sio-server']);
  let hubs = options.hubs ?? ['h'];
  if (Array.isArray(hubs)) {
    hubs = Object.fromEntries(hubs.map((h) => [h, { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' }]));
  }
  let config = { listen: { host: '127.0.0.1', port: 0 }, hubs };
  if (options.engineio) config.engineio = options.engineio;
  config = deepMerge(config, options.config);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-it-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));

  const child = spawnBinary(bin, ['--config', file], options.env);
  const hubNames = Object.keys(hubs);
  const ready = [
    /connection string: Endpoint=http:\/\/[^;]+;AccessKey=[^;]*;Version=1\.0;/,
    ...hubNames.map((h) => new RegExp(`client url \\(hub ${escapeRe(h)}\\): http://127\\.0\\.0\\.1:\\d+/clients/socketio/hubs/${escapeRe(h)}/?\\s*$`)),
  ];
  const s = supervise(child, 'sio-server', ready, options.t);
  s.exitPromise.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [connLine, firstUrl] = await s.startup;
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(firstUrl)[1]);
  const key = /AccessKey=([^;]*);/.exec(connLine)[1];
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    key,
    connectionString: connLine.slice(connLine.indexOf('Endpoint=')),
    path: (hub = hubNames[0]) => `/clients/socketio/hubs/${hub}`,
    url: (hub = hubNames[0]) => `${origin}/clients/socketio/hubs/${hub}`,
    logs: s.logs,
    waitForLog: s.waitForLog,
    kill: s.kill,
    pid: s.pid,
    exited: s.exited,
  };
}

/**
 * Starts eio-echo. options: { t, pingInterval, pingTimeout, maxPayload, path }.
 * Returns { port, origin, path, url, logs, waitForLog, kill, pid }.
 */
export async function startEioEcho(options = {}) {
  const bin = resolveBinary('EIO_ECHO', 'eio-echo.mjs',
    ['build/examples/eio-echo/eio-echo', 'build/examples/eio-echo']);
  const p = options.path ?? '/engine.io/';
  const args = ['--port', '0', '--path', p,
    '--ping-interval', String(options.pingInterval ?? 25000),
    '--ping-timeout', String(options.pingTimeout ?? 20000),
    '--max-payload', String(options.maxPayload ?? 1000000)];
  const child = spawnBinary(bin, args);
  const s = supervise(child, 'eio-echo', [/listening on http:\/\/127\.0\.0\.1:\d+\//], options.t);
  const [line] = await s.startup;
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)[1]);
  const origin = `http://127.0.0.1:${port}`;
  return { port, origin, path: p, url: origin + p, logs: s.logs, waitForLog: s.waitForLog, kill: s.kill, pid: s.pid, exited: s.exited };
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
