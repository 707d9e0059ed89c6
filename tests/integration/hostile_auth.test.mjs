// Hostile handshakes against a hub whose anonymousConnectPolicy is "deny":
// missing, malformed, unsigned (alg none), wrongly signed, expired, not yet
// valid, wrong-audience and oversized tokens, in the query and in
// `Authorization: Bearer`. Each must get its documented refusal (401 JSON,
// or 414/431 when the HTTP limits hit first) and no session; afterwards a
// fresh socket.io-client still connects and gets an ack.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startSioServer } from './support/server.mjs';
import {
  assertHealthy, closeAll, request, eioPath, rawExchange, manager, connectSocket, ack,
} from './support/clients.mjs';
import { assertJsonError, signJwt, clientClaims, parseResponses } from './support/hostile.mjs';
import { rawWebSocket } from './support/wsraw.mjs';

let srv;
before(async () => {
  srv = await startSioServer({
    hubs: {
      h: { anonymousConnectPolicy: 'allow', inProcessHandler: 'echo' },
      secure: { anonymousConnectPolicy: 'deny', inProcessHandler: 'echo' },
    },
  });
});
after(async () => {
  closeAll();
  await srv?.kill();
});
afterEach(async () => {
  await assertHealthy(srv, { hub: 'h' });
});

const now = () => Math.floor(Date.now() / 1000);
const handshake = (query = {}, headers = {}) =>
  request({ port: srv.port, path: eioPath(srv.path('secure'), query), headers });

/** 401 with {"code":"Unauthorized","message":...} mentioning `why`, and no session. */
async function assertRefused(res, why) {
  const body = assertJsonError(res, 401, 'Unauthorized');
  if (why) assert.match(body.message, why);
  assert.ok(!('sid' in body), 'no session may be created');
  await srv.waitForLog(/handshake rejected from /);
}

describe('tokens on a deny hub', { timeout: 60000 }, () => {
  it('no token -> 401 access token required', async () => {
    await assertRefused(await handshake(), /token required/);
  });

  it('garbage token -> 401 malformed', async () => {
    await assertRefused(await handshake({ access_token: 'not-a-jwt' }), /malformed/);
  });

  it('three dots of garbage -> 401 malformed', async () => {
    await assertRefused(await handshake({ access_token: '%%%.&&&.***' }), /malformed/);
  });

  it('alg none (unsigned) -> 401 unsupported alg', async () => {
    const claims = clientClaims(srv, 'secure');
    const token = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.` +
      `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    await assertRefused(await handshake({ access_token: token }), /alg|malformed/);
  });

  it('alg HS512 signed with the right key -> 401 unsupported alg', async () => {
    const token = signJwt(clientClaims(srv, 'secure'), srv.key, { alg: 'HS512', typ: 'JWT' });
    await assertRefused(await handshake({ access_token: token }), /alg/);
  });

  it('wrong key -> 401 invalid signature', async () => {
    const token = signJwt(clientClaims(srv, 'secure'), `${srv.key}x`);
    await assertRefused(await handshake({ access_token: token }), /signature/);
  });

  it('expired -> 401 token expired', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { nbf: now() - 7200, iat: now() - 7200, exp: now() - 3600 }), srv.key);
    await assertRefused(await handshake({ access_token: token }), /expired/);
  });

  it('nbf an hour ahead -> 401 not yet valid', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { nbf: now() + 3600, exp: now() + 7200 }), srv.key);
    await assertRefused(await handshake({ access_token: token }), /not yet valid/);
  });

  it('no exp -> 401 missing exp', async () => {
    const claims = clientClaims(srv, 'secure');
    delete claims.exp;
    await assertRefused(await handshake({ access_token: signJwt(claims, srv.key) }), /exp/);
  });

  it('audience of another hub -> 401 audience', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { aud: `${srv.origin}/clients/socketio/hubs/h` }), srv.key);
    await assertRefused(await handshake({ access_token: token }), /audience/);
  });

  it('audience of another host -> 401 audience', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { aud: 'http://evil.example:8080/clients/socketio/hubs/secure' }), srv.key);
    await assertRefused(await handshake({ access_token: token }), /audience/);
  });

  it('wrong key in Authorization: Bearer -> 401 invalid signature', async () => {
    const token = signJwt(clientClaims(srv, 'secure'), 'some other key');
    await assertRefused(await handshake({}, { Authorization: `Bearer ${token}` }), /signature/);
  });

  it('a valid query token wins over a bad Bearer token; a bad query token is not rescued by a good Bearer', async () => {
    const good = signJwt(clientClaims(srv, 'secure'), srv.key);
    const ok = await handshake({ access_token: good }, { Authorization: 'Bearer garbage' });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.body[0], '0');
    await assertRefused(await handshake({ access_token: 'garbage' }, { Authorization: `Bearer ${good}` }), /malformed/);
  });

  it('10 KB token in Authorization -> 401 token too long', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { pad: 'x'.repeat(10 * 1024) }), srv.key);
    await assertRefused(await handshake({}, { Authorization: `Bearer ${token}` }), /too long/);
  });

  it('100 KB token in the query -> 414 JSON before any token check, no session', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { pad: 'x'.repeat(100 * 1024) }), srv.key);
    const r = await rawExchange(srv.port,
      `GET ${eioPath(srv.path('secure'), { access_token: token })} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      5000, { pauseAfter: 32 * 1024, pauseMs: 500 });
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)} ${r.error?.message}`);
    assertJsonError(res, 414);
  });

  it('100 KB token in Authorization -> 431 JSON before any token check, no session', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { pad: 'x'.repeat(100 * 1024) }), srv.key);
    const r = await rawExchange(srv.port,
      `GET ${eioPath(srv.path('secure'))} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      5000, { pauseAfter: 32 * 1024, pauseMs: 500 });
    const [res] = parseResponses(r.data);
    assert.ok(res, `no response: ${r.data.toString('latin1').slice(0, 200)} ${r.error?.message}`);
    assertJsonError(res, 431);
  });

  it('WebSocket handshake with an expired token -> 401 before 101', async () => {
    const token = signJwt(clientClaims(srv, 'secure', { exp: now() - 3600, nbf: now() - 7200 }), srv.key);
    await assert.rejects(
      rawWebSocket(srv.port, `${srv.path('secure')}/?EIO=4&transport=websocket&access_token=${token}`),
      /expected 101, got: HTTP\/1\.1 401/);
  });

  it('socket.io-client with a token signed by another key gets connect_error, then a valid one connects and acks', async () => {
    const bad = manager(srv, { hub: 'secure', transports: ['polling'], query: { access_token: signJwt(clientClaims(srv, 'secure'), 'nope') } });
    await assert.rejects(connectSocket(bad, '/'), /connect_error/);
    bad.engine?.close();
    const good = manager(srv, {
      hub: 'secure', transports: ['websocket'], query: { access_token: signJwt(clientClaims(srv, 'secure'), srv.key) },
    });
    const s = await connectSocket(good, '/');
    assert.deepEqual(await ack(s, 'x', 'secure-ok'), ['secure-ok']);
    s.disconnect();
  });
});
