// Debian's python3-socketio 5.x client (run with /usr/bin/python3, not the
// pyenv python3 first on PATH) against sio-server: default transports
// (polling + upgrade) and WebSocket only; acks, echo, a second namespace,
// disconnect, and the matching lifecycle log lines.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSioServer, escapeRe } from './support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(here, 'support', 'python_client.py');

/** Runs the python client; resolves { code, result, stderr }. Killed after 30 s. */
function runPython(srv, mode) {
  return new Promise((resolve) => {
    execFile(PYTHON, [SCRIPT, srv.origin, srv.path(), mode], { timeout: 30000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let result = null;
        try { result = JSON.parse(line); } catch { /* reported below */ }
        resolve({ code: err ? (err.code ?? err.signal) : 0, result, stdout, stderr });
      });
  });
}

let srv;
before(async () => {
  srv = await startSioServer({ hubs: ['h'] });
});
after(async () => { await srv?.kill(); });

for (const mode of ['default', 'websocket']) {
  describe(`python-socketio client, ${mode} transports`, { timeout: 40000 }, () => {
    let run;
    before(async () => { run = await runPython(srv, mode); });

    it('exits 0 with a JSON result', () => {
      assert.ok(run.result, `no JSON result; stdout ${run.stdout} stderr ${run.stderr}`);
      assert.equal(run.result.error, undefined, `client error: ${run.result.error}\n${run.stderr}`);
      assert.equal(run.code, 0, run.stderr);
    });

    it('ends on the WebSocket transport', () => {
      assert.equal(run.result.transport, 'websocket');
    });

    it('got distinct socket ids for / and /chat', () => {
      const { sid_root: a, sid_chat: b, connection } = run.result;
      assert.equal(typeof a, 'string');
      assert.equal(typeof b, 'string');
      assert.ok(a.length > 0 && b.length > 0);
      assert.notEqual(a, b);
      assert.notEqual(a, connection);
    });

    it('received acks with the event arguments', () => {
      assert.equal(run.result.ack_single, 'hello');
      assert.deepEqual(run.result.ack_multi, ['a', 2, { k: [true, null] }]);
      assert.deepEqual(run.result.ack_chat, { n: 1 });
      assert.equal(run.result.ack_binary, '0001feff');
    });

    it('received the echo events on the right namespace', () => {
      assert.equal(run.result.echo_received, true);
      assert.deepEqual(run.result.echo_root, [['ping', 7]]);
      assert.deepEqual(run.result.echo_chat, [['on-chat']]);
      assert.equal(run.result.connected_after_disconnect, false);
    });

    it('shows connect and disconnect of both sockets in the server log', async () => {
      for (const [nsp, sid] of [['/', run.result.sid_root], ['/chat', run.result.sid_chat]]) {
        await srv.waitForLog(new RegExp(`socket connected .*hub=h .*nsp=${escapeRe(nsp)} .*socket=${escapeRe(sid)}(?=\\s|$)`));
        const line = await srv.waitForLog(new RegExp(`socket disconnected .*nsp=${escapeRe(nsp)} .*socket=${escapeRe(sid)}(?=\\s|$)`), 3000);
        // python-socketio sends DISCONNECT per namespace, then drops the connection.
        assert.match(line, /reason=(client namespace disconnect|transport close)/);
      }
    });
  });
}
