// A real redis-server (Debian's) for the cluster tests: started on a free
// 127.0.0.1 port in a temporary directory, no persistence, stopped by PID
// with a checked exit (superviseProcess). restart() brings it back on the
// same port, as a Redis that was away and returns.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { superviseProcess } from './server.mjs';

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server. Returns { port, url, stop(signal), restart(), pid() }.
 * stop() resolves with the checked exit; restart() starts a new process on
 * the same port after a stop.
 */
export async function startRedis({ t } = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-redis-'));
  let proc = null;
  async function launch() {
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    // --loglevel warning prints nothing when ready: wait for the port.
    proc = superviseProcess(child, 'redis-server', { t });
    const end = Date.now() + 10000;
    for (;;) {
      const ok = await new Promise((resolve) => {
        const c = net.connect(port, '127.0.0.1');
        c.on('connect', () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      });
      if (ok) break;
      if (proc.exited()) throw new Error(`redis-server exited at start: ${proc.logs.join('\n')}`);
      if (Date.now() > end) throw new Error('redis-server did not accept connections within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => proc.pid,
    stop: (signal = 'SIGTERM') => proc.stop(signal),
    async restart() { await launch(); },
    async cleanup() {
      if (!proc.exited()) await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
