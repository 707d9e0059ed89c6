// Starts the real service binaries (sio-server, eio-echo) for integration tests:
// writes a temporary config, spawns the process, waits for its start-up lines,
// collects every output line, and stops it at the end with its exit checked
// (code 0 on SIGTERM, no sanitizer report; see superviseProcess).
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
// A clean exit on SIGTERM: generous, because under ASan (scripts/test's
// second build) the leak check at exit takes seconds on a busy machine.
const EXIT_TIMEOUT_MS = 20000;
// How long the output pipes may stay open after the exit (a grandchild
// holding them) before the log is checked as it is.
const OUTPUT_DRAIN_MS = 5000;
const SANITIZER_REPORT = /ERROR: \w*Sanitizer|LeakSanitizer|runtime error:/;
const supervised = new Set();

const describeExit = ({ code, signal }) => (signal ? `by ${signal}` : `with code ${code}`);

// Safety net: a test that forgot to stop its process, or a process whose end
// no test checked, must not pass unseen. Stops leftovers, and fails the test
// file (exit code 1) for a process left running, one that died of a signal
// nobody sent, exited with an error after its start-up, or wrote a sanitizer
// report.
process.on('exit', () => {
  for (const p of supervised) {
    const problem = p.uncheckedProblem();
    if (!problem) continue;
    process.stderr.write(`# ${p.name} (pid ${p.pid}): ${problem}\n`);
    process.exitCode = 1;
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
 * Supervises a spawned process (stdio: ['ignore', 'pipe', 'pipe']): collects
 * its stdout and stderr lines, resolves `startup` once each regex of `ready`
 * matched a line (within startTimeoutMs), and stops it with a checked exit.
 *
 * stop(signal = 'SIGTERM') sends the signal, waits up to 20 s for the exit and
 * the end of its output, and rejects when the process
 *   - wrote a sanitizer report (ERROR: AddressSanitizer, LeakSanitizer,
 *     runtime error:) at any time,
 *   - had exited on its own before it was stopped (after a good start-up),
 *   - did not exit in time (it is then SIGKILLed),
 *   - after SIGTERM/SIGINT: exited other than with code 0 (its clean exit);
 *     after SIGKILL: ended other than by that SIGKILL.
 * It resolves with { code, signal }. Every call returns the same promise; kill()
 * is stop('SIGTERM'). With `t` (a node:test context) t.after stops it.
 */
export function superviseProcess(child, name, { ready = [], t, startTimeoutMs = START_TIMEOUT_MS } = {}) {
  const logs = [];
  const waiters = new Set();
  let exited = null;
  let startFailed = false;
  let stopping = null;
  let checked = false;

  const onLine = (line) => {
    logs.push(line);
    if (process.env.SIO_TEST_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
    for (const w of waiters) w.check();
  };
  const streamsClosed = Promise.all([child.stdout, child.stderr].map((stream) => new Promise((resolve) => {
    readline.createInterface({ input: stream }).on('line', onLine).on('close', resolve);
  })));

  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      for (const w of waiters) w.check();
      resolve(exited);
    });
  });
  const record = {
    name,
    pid: child.pid,
    uncheckedProblem() {
      if (checked) return null;
      if (!exited) {
        try { child.kill('SIGKILL'); } catch { /* already gone */ }
        return 'left running by the tests: killed at exit, its end unchecked';
      }
      const report = logs.find((l) => SANITIZER_REPORT.test(l));
      if (report) return `sanitizer report: ${report}`;
      if (exited.signal) return `died ${describeExit(exited)}, which no test sent`;
      if (exited.code !== 0 && !startFailed) return `exited ${describeExit(exited)} after its start-up`;
      return null;
    },
  };
  supervised.add(record);

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

  async function stopAndCheck(signal) {
    const endedOnItsOwn = exited;
    let hung = false;
    if (!exited) {
      child.kill(signal);
      const timer = setTimeout(() => {
        if (!exited) { hung = true; child.kill('SIGKILL'); }
      }, EXIT_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    let drainTimer;
    await Promise.race([streamsClosed, new Promise((r) => { drainTimer = setTimeout(r, OUTPUT_DRAIN_MS); })]);
    clearTimeout(drainTimer);
    const fail = (what) => { throw new Error(`${name} (pid ${child.pid}) ${what}\n--- log tail ---\n${tail()}`); };
    const report = logs.find((l) => SANITIZER_REPORT.test(l));
    if (report) fail(`wrote a sanitizer report: ${report}`);
    if (endedOnItsOwn) {
      // A failed start-up is reported by `startup`; its exit is part of it.
      if (!startFailed) fail(`exited on its own ${describeExit(endedOnItsOwn)} before the test stopped it`);
      return endedOnItsOwn;
    }
    if (hung) fail(`did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}; killed`);
    if (signal === 'SIGKILL') {
      if (exited.signal !== 'SIGKILL') fail(`ended ${describeExit(exited)}, not by the SIGKILL sent`);
    } else if (exited.code !== 0 || exited.signal !== null) {
      fail(`exited ${describeExit(exited)} on ${signal}, not with its clean code 0`);
    }
    return exited;
  }

  const ensureStopped = (signal = 'SIGTERM') => (stopping ??= stopAndCheck(signal));
  // The caller of stop() gets the verdict: the exit hook need not repeat it.
  function stop(signal = 'SIGTERM') {
    checked = true;
    return ensureStopped(signal);
  }
  const kill = () => stop('SIGTERM');

  if (t && typeof t.after === 'function') t.after(() => kill());

  const startup = (async () => {
    const lines = [];
    for (const re of ready) lines.push(await waitForLog(re, startTimeoutMs));
    return lines;
  })();
  startup.catch(() => {
    startFailed = true;
    // The caller sees the start-up error; a sanitizer report or a crash on the
    // way out is left to stop() or, if no one calls it, the exit hook.
    ensureStopped().catch(() => {});
  });

  return { child, logs, waitForLog, kill, stop, startup, exited: () => exited, pid: child.pid, exitPromise };
}

/** superviseProcess for the binaries this module starts. */
function supervise(child, name, ready, t) {
  return superviseProcess(child, name, { ready, t });
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
 * Returns { port, origin, url(hub), path(hub), key, connectionString, logs, waitForLog, kill, stop, pid, exited }.
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
    stop: s.stop,
    pid: s.pid,
    exited: s.exited,
  };
}

/**
 * Starts eio-echo. options: { t, pingInterval, pingTimeout, maxPayload, path }.
 * Returns { port, origin, path, url, logs, waitForLog, kill, stop, pid, exited }.
 */
export async function startEioEcho(options = {}) {
  const bin = resolveBinary('EIO_ECHO', 'eio-echo.mjs',
    ['build/tests/tools/eio-echo/eio-echo', 'build/tests/tools/eio-echo']);
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
  return { port, origin, path: p, url: origin + p, logs: s.logs, waitForLog: s.waitForLog, kill: s.kill, stop: s.stop, pid: s.pid, exited: s.exited };
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
