// Hostile WebSocket framing against sio-server beyond websocket_hostile:
// 64-bit lengths with the top bit set or just over maxPayload, RSV bits,
// unknown opcodes, fragment storms, broken control frames, close frames with
// invalid codes or reasons, UTF-8 split across fragments, and a ping flood
// from a client that never reads. Each must end with the RFC 6455 close code
// the service documents (1002/1007/1008/1009) and the session closed; a
// fresh socket.io-client still connects and gets an ack afterwards.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startSioServer, rssBytes } from './support/server.mjs';
import { assertHealthy, closeAll, sleep } from './support/clients.mjs';
import { frame } from './support/wsraw.mjs';
import { wsSession, assertServerClosed } from './support/hostile.mjs';

const MAX_PAYLOAD = 100000;
let srv;
before(async () => {
  srv = await startSioServer({ hubs: ['h'], engineio: { maxPayload: MAX_PAYLOAD } });
});
after(async () => {
  closeAll();
  await srv?.kill();
});
afterEach(async () => {
  await assertHealthy(srv, { transports: ['websocket'] });
});

/** A masked frame header with an explicit 64-bit length and first byte. */
function header64(b0, length) {
  const h = Buffer.alloc(14);
  h[0] = b0;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(length, 2);
  crypto.randomBytes(4).copy(h, 10);
  return h;
}

/** Sends raw bytes on a joined session; expects a close frame with `code` and the session gone. */
async function expectCode(bytes, code, reason = 'transport error') {
  const s = await wsSession(srv);
  try {
    for (const b of [].concat(bytes)) s.ws.send(b);
    await assertServerClosed(srv, s, { code, reason, ms: 5000 });
  } finally {
    s.ws.destroy();
  }
}

describe('frame headers', { timeout: 60000 }, () => {
  it('64-bit length with the top bit set -> 1002', async () => {
    await expectCode(header64(0x81, 0xffffffffffffffffn), 1002);
  });

  it('64-bit length of 2^62 -> 1009 (refused from the header alone)', async () => {
    await expectCode(header64(0x82, 1n << 62n), 1009);
  });

  it('length one byte over maxPayload in the 64-bit form -> 1009', async () => {
    await expectCode(header64(0x81, BigInt(MAX_PAYLOAD + 1)), 1009);
  });

  for (const [name, bit] of [['RSV1', 0x40], ['RSV2', 0x20], ['RSV3', 0x10]]) {
    it(`${name} set on a text frame -> 1002`, async () => {
      const f = frame('4hello');
      f[0] |= bit;
      await expectCode(f, 1002);
    });
  }

  it('reserved opcode 0x3 -> 1002', async () => {
    await expectCode(frame('x', { opcode: 0x3 }), 1002);
  });

  it('reserved control opcode 0xB -> 1002', async () => {
    await expectCode(frame('x', { opcode: 0xb }), 1002);
  });
});

describe('fragments and control frames', { timeout: 60000 }, () => {
  it('fragment storm: 5000 one-byte continuation frames -> 1009 at the fragment limit', async () => {
    const parts = [frame('4', { opcode: 1, fin: false })];
    for (let i = 0; i < 5000; i++) parts.push(frame('a', { opcode: 0, fin: false }));
    await expectCode(Buffer.concat(parts), 1009);
  });

  it('continuation frame without a message -> 1002', async () => {
    await expectCode(frame('a', { opcode: 0 }), 1002);
  });

  it('a new text frame inside a fragmented message -> 1002', async () => {
    await expectCode([frame('4a', { opcode: 1, fin: false }), frame('4b', { opcode: 1 })], 1002);
  });

  it('fragmented ping -> 1002', async () => {
    await expectCode(frame('p', { opcode: 0x9, fin: false }), 1002);
  });

  it('ping with a 126-byte payload -> 1002', async () => {
    await expectCode(frame(Buffer.alloc(126, 0x70), { opcode: 0x9 }), 1002);
  });

  it('invalid UTF-8 split across fragments (valid halves, invalid whole) -> 1007', async () => {
    // 0xE2 0x82 starts a 3-byte sequence; the next fragment continues with ASCII.
    await expectCode([
      frame(Buffer.from([0x34, 0xe2, 0x82]), { opcode: 1, fin: false }),
      frame(Buffer.from('zz'), { opcode: 0 }),
    ], 1007);
  });

  it('fragments whose total exceeds maxPayload -> 1009', async () => {
    const half = Buffer.alloc(MAX_PAYLOAD / 2 + 10, 0x61);
    half[0] = 0x34;
    await expectCode([frame(half, { opcode: 1, fin: false }), frame(half.subarray(1), { opcode: 0 })], 1009);
  });
});

describe('close frames', { timeout: 60000 }, () => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535]) {
    it(`close with the invalid code ${code} -> 1002`, async () => {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      await expectCode(frame(p, { opcode: 0x8 }), 1002);
    });
  }

  it('close with a one-byte payload -> 1002', async () => {
    await expectCode(frame(Buffer.from([3]), { opcode: 0x8 }), 1002);
  });

  it('close with a reason that is not UTF-8 -> 1002', async () => {
    await expectCode(frame(Buffer.from([0x03, 0xe8, 0xff, 0xfe]), { opcode: 0x8 }), 1002);
  });

  it('a valid close 4000 is echoed with 4000 and the session ends as a transport error', async () => {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(4000);
    await expectCode(frame(p, { opcode: 0x8 }), 4000);
  });
});

describe('slow consumer', { timeout: 90000 }, () => {
  it('ping flood from a client that never reads: closed (1008 / TCP), memory bounded', async () => {
    const before = rssBytes(srv.pid);
    const s = await wsSession(srv);
    const { ws } = s;
    try {
      ws.sock.pause(); // never read: pongs pile up in the server
      const ping = frame(Buffer.alloc(125, 0x70), { opcode: 0x9 });
      const batch = Buffer.concat(Array.from({ length: 512 }, () => ping)); // ~66 KB
      let sent = 0;
      const deadline = Date.now() + 30000;
      // Up to 48 MB of pings, until the server stops reading from us.
      while (sent < 48 << 20 && Date.now() < deadline && !ws.sock.destroyed) {
        if (!ws.sock.write(batch)) {
          const drained = await Promise.race([
            new Promise((r) => ws.sock.once('drain', () => r(true))), sleep(3000).then(() => false)]);
          if (!drained) break; // the server stopped reading: its queue is full
        }
        sent += batch.length;
      }
      const grown = rssBytes(srv.pid) - before;
      assert.ok(grown < 64 << 20, `VmRSS grew by ${(grown / 1048576).toFixed(1)} MB after ${(sent / 1048576).toFixed(1)} MB of pings`);
      ws.sock.resume();
      const closed = await ws.waitClosed(20000);
      assert.ok(closed.closeCode === 1008 || closed.tcpClosed, `closed: ${JSON.stringify(closed)}`);
      if (closed.closeCode !== null) assert.equal(closed.closeCode, 1008);
      await srv.waitForLog(new RegExp(`socket disconnected .*socket=${s.socketId}(?=\\s).*reason=transport`), 20000);
    } finally {
      ws.destroy();
    }
  });
});
