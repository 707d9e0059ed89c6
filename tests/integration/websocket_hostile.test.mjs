// Hostile WebSocket and TCP input against sio-server, sent by hand on `net`
// sockets: garbage packets, invalid UTF-8, unmasked frames, a 1 GiB length
// claim, a broken binary attachment sequence and half-open requests. The server
// must close the offender with the right code, not balloon, and keep serving.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSioServer, rssBytes, escapeRe } from './support/server.mjs';
import { assertHealthy, closeAll, sleep } from './support/clients.mjs';
import { rawWebSocket } from './support/wsraw.mjs';

let srv;
before(async () => {
  srv = await startSioServer({ hubs: ['h'], engineio: { maxPayload: 1000000 } });
});
after(async () => {
  closeAll();
  await srv?.kill();
});
afterEach(async () => {
  await assertHealthy(srv, { transports: ['websocket'] });
});

const wsPath = () => `${srv.path()}/?EIO=4&transport=websocket`;

/** A raw WebSocket Engine.IO session that has seen its open packet. */
async function openSession() {
  const ws = await rawWebSocket(srv.port, wsPath());
  const open = await ws.waitFor((f) => f.opcode === 1 && f.payload[0] === 0x30);
  const sid = JSON.parse(open.payload.toString('utf8').slice(1)).sid;
  return { ws, sid };
}

describe('hostile WebSocket frames', { timeout: 40000 }, () => {
  it('closes the connection on a text frame that is not an Engine.IO packet', async () => {
    const { ws } = await openSession();
    try {
      ws.sendText('xyz');
      const closed = await ws.waitClosed(3000);
      assert.ok(closed.closeCode !== null || closed.tcpClosed);
    } finally {
      ws.destroy();
    }
  });

  it('closes with 1007 on a text frame with invalid UTF-8', async () => {
    const { ws } = await openSession();
    try {
      ws.sendText(Buffer.from([0x34, 0x68, 0xff, 0xfe, 0xc3, 0x28]));
      await ws.waitClosed(3000);
      assert.equal(ws.closeCode, 1007);
    } finally {
      ws.destroy();
    }
  });

  it('closes with 1002 on an unmasked client frame', async () => {
    const { ws } = await openSession();
    try {
      ws.sendText('4hello', { mask: false });
      await ws.waitClosed(3000);
      assert.equal(ws.closeCode, 1002);
    } finally {
      ws.destroy();
    }
  });

  it('closes with 1009 on a frame header claiming 1 GiB, without growing memory', async () => {
    const before = rssBytes(srv.pid);
    const { ws } = await openSession();
    try {
      // 14-byte header: FIN|text, MASK|127, 64-bit length 2^30, 4-byte mask key.
      const head = Buffer.alloc(14);
      head[0] = 0x81;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(1n << 30n, 2);
      head.writeUInt32BE(0x11223344, 10);
      ws.send(head);
      // Keep streaming payload until the server closes (at most 32 MB): a
      // server that buffers instead of refusing grows by what it receives.
      const chunk = Buffer.alloc(1 << 20, 0x41);
      for (let sent = 0; sent < 32 && ws.closeCode === null && !ws.tcpClosed; sent++) {
        if (!ws.sock.write(chunk)) {
          await Promise.race([new Promise((r) => ws.sock.once('drain', r)), sleep(500)]);
        }
      }
      await ws.waitClosed(5000);
      assert.equal(ws.closeCode, 1009, `close code ${ws.closeCode} (tcp closed: ${ws.tcpClosed})`);
    } finally {
      ws.destroy();
    }
    await sleep(200);
    const grown = rssBytes(srv.pid) - before;
    assert.ok(grown < 20 * 1024 * 1024, `VmRSS grew by ${(grown / 1048576).toFixed(1)} MB`);
  });

  it('closes the session when a text packet arrives where a binary attachment was due', async () => {
    const { ws } = await openSession();
    try {
      ws.sendText('40');
      const connect = await ws.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith('40{'));
      const socketId = JSON.parse(connect.payload.toString().slice(2)).sid;
      await srv.waitForLog(new RegExp(`socket connected .*socket=${escapeRe(socketId)}(?=\\s|$)`));
      ws.sendText('451-1["bin",{"_placeholder":true,"num":0}]');
      ws.sendText('42["not","binary"]');
      const closed = await ws.waitClosed(3000);
      assert.ok(closed.closeCode !== null || closed.tcpClosed);
      await srv.waitForLog(new RegExp(`socket disconnected .*socket=${escapeRe(socketId)}(?=\\s|$)`), 3000);
      // No ack may have been produced from the broken packet.
      assert.deepEqual(ws.texts().filter((t) => t.startsWith('43') || t.startsWith('46')), []);
    } finally {
      ws.destroy();
    }
  });

  it('closes the session on an EVENT for a namespace the client never joined', async () => {
    const { ws } = await openSession();
    try {
      ws.sendText('42/never,1["x"]');
      const closed = await ws.waitClosed(3000);
      assert.ok(closed.closeCode !== null || closed.tcpClosed);
      assert.deepEqual(ws.texts().filter((t) => t.startsWith('43')), []);
    } finally {
      ws.destroy();
    }
  });
});

describe('half-open TCP', { timeout: 30000 }, () => {
  const sockets = [];
  after(() => { for (const s of sockets) s.destroy(); });

  it('20 connections stuck in the request line do not stop a fresh client', async () => {
    await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1', () => {
        s.write(`GET ${srv.path()}/?EIO=4&transport=pol`);
        resolve();
      });
      s.on('error', () => {});
      s.once('error', reject);
      sockets.push(s);
    })));
    await sleep(200);
    const t0 = Date.now();
    await assertHealthy(srv, { transports: ['websocket'] });
    await assertHealthy(srv, { transports: ['polling'] });
    assert.ok(Date.now() - t0 < 5000, `fresh clients took ${Date.now() - t0} ms`);
    assert.equal(srv.exited(), null, 'server must still run');
  });
});
