// Starts support/python_listener.py (python3-socketio, Debian) against a
// hub and waits until it has connected.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from './records.mjs';

/**
 * Connects a python3-socketio client that waits for `count` "news" events
 * (answering each one's ack). Resolves { connectionId, done } once it is
 * connected; `done` resolves { code, result (its last JSON line), output }
 * when it exits. `stop()` kills it.
 */
export async function startPythonListener(origin, socketioPath, count) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python_listener.py');
  const child = spawn('/usr/bin/python3', [script, origin, socketioPath, String(count)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  try {
    await until(() => lines.some((l) => l.startsWith('ready ')), 8000, 'the python client connected');
  } catch (e) {
    child.kill();
    throw new Error(`${e.message}: ${lines.join(' | ')} ${stderr}`);
  }
  const done = exited.then((code) => {
    let result = null;
    try { result = JSON.parse(lines.at(-1)); } catch { /* reported through output */ }
    return { code, result, output: `${lines.join(' | ')} ${stderr}` };
  });
  return {
    connectionId: lines.find((l) => l.startsWith('ready ')).slice(6),
    done,
    stop: () => child.kill(),
  };
}
