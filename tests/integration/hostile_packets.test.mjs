// Hostile Socket.IO and Engine.IO packets from a joined client (raw WebSocket
// and raw polling requests): out-of-range ack ids, a 10,000-attachment
// header, 100,000-deep JSON, invalid UTF-8 in a POST, control characters in
// namespaces, reserved event names, DISCONNECT with a payload, CONNECT_ERROR
// from a client, stray binary attachments and malformed polling payloads.
// The server must close that session (close 1000 / "1" on polling, socket
// disconnected with reason "parse error"), never ack, and keep serving.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer } from './support/server.mjs';
import { assertHealthy, closeAll, request, eioPath, pollingHandshake, sleep } from './support/clients.mjs';
import { assertJsonError, wsSession, assertServerClosed } from './support/hostile.mjs';

const MAX_PAYLOAD = 1000000;
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
  await assertHealthy(srv, { transports: ['polling'] });
});

const TEXT = { 'Content-Type': 'text/plain;charset=UTF-8' };
const noAcks = (ws) => ws.texts().filter((t) => t.startsWith('43') || t.startsWith('46'));

/** Sends `frames` (strings = text, Buffers = binary) on a joined session and expects a parse-error close. */
async function expectClose(frames, opts) {
  const s = await wsSession(srv);
  try {
    for (const f of frames) {
      if (Buffer.isBuffer(f)) s.ws.sendBinary(f);
      else s.ws.sendText(f);
    }
    await assertServerClosed(srv, s, opts);
    assert.deepEqual(noAcks(s.ws), []);
  } finally {
    s.ws.destroy();
  }
}

describe('Socket.IO packets over WebSocket', { timeout: 60000 }, () => {
  it('ack id above 2^53 closes the session', async () => {
    await expectClose(['4299999999999999999999["x"]']);
  });

  it('ack id followed by garbage closes the session', async () => {
    await expectClose(['4212abc["x"]']);
  });

  it('an ack id on CONNECT closes the session', async () => {
    await expectClose(['42["warm"]', '40/other,7{}']);
  });

  it('a 10,000-attachment header (4510000-[...]) closes the session without waiting for attachments', async () => {
    await expectClose(['4510000-["x",{"_placeholder":true,"num":0}]']);
  });

  it('placeholder pointing past the attachment count closes the session', async () => {
    await expectClose(['451-["x",{"_placeholder":true,"num":5}]']);
  });

  it('JSON nested 100,000 deep closes the session (no stack overflow)', async () => {
    const deep = `42["x",${'['.repeat(100000)}${']'.repeat(100000)}]`;
    await expectClose([deep]);
  });

  it('namespace with control characters closes the session', async () => {
    await expectClose(['40/a\u0001b,']);
  });

  it('namespace with a NUL and an escape byte closes the session', async () => {
    await expectClose(['42/x\u0000\u001b,["x"]']);
  });

  it('namespace longer than 256 bytes closes the session', async () => {
    await expectClose([`40/${'n'.repeat(300)},`]);
  });

  for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
    it(`reserved event name "${name}" closes the session`, async () => {
      await expectClose([`421${JSON.stringify([name, 1])}`]);
    });
  }

  it('DISCONNECT with a payload closes the session', async () => {
    await expectClose(['41{"close":true}']);
  });

  it('CONNECT_ERROR from a client closes the session', async () => {
    await expectClose(['44{"message":"I refuse"}']);
  });

  it('CONNECT with a non-object payload closes the session', async () => {
    await expectClose(['40/other,"str"']);
  });

  it('a binary attachment with no packet awaiting it closes the session', async () => {
    await expectClose([Buffer.from([1, 2, 3])]);
  });

  it('one attachment too many closes the session', async () => {
    await expectClose(['451-["x",{"_placeholder":true,"num":0}]', Buffer.from([1]), Buffer.from([2])]);
  });

  it('an EVENT with an empty array closes the session', async () => {
    await expectClose(['421[]']);
  });

  it('an Engine.IO ping from the client closes the session', async () => {
    await expectClose(['2']);
  });

  it('an Engine.IO upgrade packet on an established WebSocket closes the session', async () => {
    await expectClose(['5']);
  });
});

describe('Socket.IO packets over polling', { timeout: 60000 }, () => {
  /** A polling session that joined "/"; resolves { sid }. */
  async function pollingJoined() {
    const { sid } = await pollingHandshake(srv);
    const p = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body: '40' });
    assert.equal(p.status, 200, p.body);
    const g = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
    assert.match(g.body, /^40\{"sid":"/);
    return { sid, socketId: JSON.parse(g.body.slice(2)).sid };
  }

  /** After a parse error the next GET gets "1" (or 400), then the sid is unknown. */
  async function expectPollingClosed(sid, socketId) {
    await srv.waitForLog(new RegExp(`socket disconnected .*socket=${socketId}(?=\\s).*reason=parse error`), 3000);
    const g = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
    if (g.status === 200) {
      assert.ok(g.body.split('\x1e').includes('1'), `expected a close packet, got ${JSON.stringify(g.body)}`);
      assert.ok(!/^4[36]/.test(g.body), 'no ack');
      const again = await request({ port: srv.port, path: eioPath(srv.path(), { sid }) });
      assertJsonError(again, 400, 1);
    } else {
      assertJsonError(g, 400);
    }
  }

  it('invalid UTF-8 inside an event in a POST closes the session', async () => {
    const { sid, socketId } = await pollingJoined();
    const body = Buffer.concat([Buffer.from('421["x","'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"]')]);
    const r = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body });
    // The payload framing is fine (200 "ok"); the Socket.IO packet is not.
    assert.ok(r.status === 200 || r.status === 400, `status ${r.status}`);
    await expectPollingClosed(sid, socketId);
  });

  it('10,001 packets in one POST -> 400 JSON and the session is closed', async () => {
    const { sid, socketId } = await pollingJoined();
    const body = Array.from({ length: 10001 }, () => '3').join('\x1e');
    const r = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body });
    assertJsonError(r, 400, 3);
    await expectPollingClosed(sid, socketId);
  });

  it('an empty segment in a POST payload -> 400 JSON and the session is closed', async () => {
    const { sid, socketId } = await pollingJoined();
    const r = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body: '421["a"]\x1e\x1e3' });
    assertJsonError(r, 400, 3);
    await expectPollingClosed(sid, socketId);
  });

  it('bad base64 in a binary segment -> 400 JSON and the session is closed', async () => {
    const { sid, socketId } = await pollingJoined();
    const r = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body: 'b!!!!' });
    assertJsonError(r, 400, 3);
    await expectPollingClosed(sid, socketId);
  });

  it('reserved event name over polling closes the session', async () => {
    const { sid, socketId } = await pollingJoined();
    const r = await request({ port: srv.port, method: 'POST', path: eioPath(srv.path(), { sid }), headers: TEXT, body: '421["disconnect"]' });
    assert.equal(r.status, 200, r.body);
    await expectPollingClosed(sid, socketId);
    await sleep(10);
  });
});
