// A WebSocket client written by hand on a `net` socket, so tests can send
// frames no well-behaved library would: unmasked, invalid UTF-8, lying
// lengths. Parses the server's frames (unmasked, per RFC 6455) and records
// the close code.
import crypto from 'node:crypto';
import net from 'node:net';

/** Encodes one frame. opts: { opcode, fin=true, mask=true, rsv=0 } */
export function frame(payload, { opcode = 0x1, fin = true, mask = true } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = data.length;
  let head;
  if (len < 126) {
    head = Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = (mask ? 0x80 : 0) | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = (mask ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!mask) return Buffer.concat([head, data]);
  const key = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, key, masked]);
}

/**
 * Opens a raw WebSocket to `path` on 127.0.0.1:port. Resolves once the 101
 * arrived (rejects on any other status, with the response head).
 * The returned object has: frames (array of {opcode, payload}), texts(),
 * closeCode (null until a close frame came), tcpClosed, send(buf),
 * waitFor(pred, timeoutMs), waitClosed(timeoutMs), destroy().
 */
export function rawWebSocket(port, path, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const key = crypto.randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const waiters = new Set();
    const ws = {
      sock,
      frames: [],
      closeCode: null,
      tcpClosed: false,
      error: null,
      texts() { return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString('utf8')); },
      send(b) { if (!sock.destroyed) sock.write(b); },
      sendText(s, opts) { this.send(frame(s, { opcode: 1, ...opts })); },
      sendBinary(b, opts) { this.send(frame(b, { opcode: 2, ...opts })); },
      /** Resolves with the first frame matching pred, or rejects after timeoutMs. */
      waitFor(pred, ms = 3000) {
        return wait(() => this.frames.find(pred), ms, () => `no matching frame; texts ${JSON.stringify(this.texts())}`);
      },
      /** Resolves { closeCode, tcpClosed } once a close frame or TCP close arrived. */
      waitClosed(ms = 3000) {
        return wait(() => (this.closeCode !== null || this.tcpClosed ? { closeCode: this.closeCode, tcpClosed: this.tcpClosed } : null),
          ms, () => `server did not close within ${ms} ms; texts ${JSON.stringify(this.texts())}`);
      },
      destroy() { sock.destroy(); },
    };
    function wait(get, ms, describe) {
      return new Promise((res, rej) => {
        const w = () => {
          const v = get();
          if (v) { clearTimeout(timer); waiters.delete(w); res(v); }
        };
        const timer = setTimeout(() => { waiters.delete(w); rej(new Error(describe())); }, ms);
        waiters.add(w);
        w();
      });
    }
    const notify = () => { for (const w of [...waiters]) w(); };

    const timer = setTimeout(() => { sock.destroy(); reject(new Error('WebSocket handshake timed out')); }, timeoutMs);
    sock.on('error', (e) => { ws.error = e; });
    sock.on('close', () => {
      ws.tcpClosed = true;
      notify();
      if (!upgraded) { clearTimeout(timer); reject(new Error(`closed before 101: ${buf.toString('latin1').slice(0, 200)}`)); }
    });
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        clearTimeout(timer);
        if (!/^HTTP\/1\.1 101 /.test(head)) {
          sock.destroy();
          reject(new Error(`expected 101, got: ${head.split('\r\n')[0]}`));
          return;
        }
        const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        if (!head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
          sock.destroy();
          reject(new Error(`bad Sec-WebSocket-Accept in: ${head}`));
          return;
        }
        upgraded = true;
        resolve(ws);
      }
      parseFrames();
      notify();
    });

    function parseFrames() {
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0] & 0x0f;
        const masked = (buf[1] & 0x80) !== 0;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (masked) off += 4;
        if (buf.length < off + len) return;
        let payload = Buffer.from(buf.subarray(off, off + len));
        if (masked) {
          const k = buf.subarray(off - 4, off);
          payload = Buffer.from(payload.map((b, i) => b ^ k[i & 3]));
        }
        buf = buf.subarray(off + len);
        ws.frames.push({ opcode, payload, masked });
        if (opcode === 0x8) ws.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      }
    }
  });
}
