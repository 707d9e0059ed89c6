// scripts/soak.mjs
// The soak driver behind scripts/soak. The coordinator starts sio-server
// (normally the ASan+UBSan build) on 127.0.0.1 with hub `soak`, forks worker
// processes that hold the clients, sends numbered messages through the REST
// API (@azure/web-pubsub) to rooms and to the namespace, samples the
// server's RSS, then stops everything and writes one report section.
// Two modes (--mode):
// - chat: the hub's events go to the in-process chat handler
//   (examples/handlers/chat_handler.cpp).
// - serverless: they go as webhooks to scripts/soak-upstream.mjs (the same
//   chat on @azure/web-pubsub-express), which answers through the REST API.
//
// Clients are raw Engine.IO/Socket.IO over `ws` (light enough that the
// driver is never the bottleneck). Each session (one Engine.IO connection)
// connects with the name `c<client>.<session>`, joins one room (`join`,
// acked once the hub has the membership; the room gets a `system` notice
// "<name> joined <room>"), emits `message` `<name>.<k>` (k = 1, 2, ...) with
// an ack at a bounded rate; the chat fans it out to the room, sender
// included. A churn cohort leaves periodically, alternately with `leave`
// (acked; notice "<name> left <room>") and a clean close, or by dropping the
// socket (the server's disconnect gives the notice), then reconnects into a
// new room.
//
// Accounting, per session:
// - acks: every emit is answered exactly once (missing = unanswered when
//   the session leaves or after the grace period; duplicate = an ack id
//   answered twice or never asked).
// - own chat messages: every acked `message` comes back once, in order.
// - REST sends: expected when issued after the session's join ack arrived
//   and, for a session that ended, answered at least LEAVE_GRACE_MS before
//   it closed (a broadcast still in flight when it closes is legitimately
//   not seen). lost = expected and never seen by the end of the grace
//   period; duplicated = the same number seen twice by one session;
//   misrouted = a room's number seen by a session not in that room.
//
// Chat accounting: room-mate messages and notices, exactly, from client
// clocks alone (one machine, one clock). The handler (one actor, or the
// upstream awaiting each REST call) issues every fan-out before it answers
// the ack that follows it, and the hub hands one sender's fan-outs to a
// session in the order it got them. So each room event E has a window
// (lo, hi): its fan-out was issued after lo and before hi.
//   message E of S: lo = S sent it, hi = S got its ack.
//   "S joined":     lo = S sent `join`, hi = S got the join ack.
//   "S left" after `leave`: lo = S sent `leave`, hi = S got the leave ack.
//   "S left" after a dropped socket: lo = the drop; no hi the clients can
//   see, so it is due only ABRUPT_GRACE_MS after the drop.
// A session R's horizon is the send time of its latest own message whose
// echo it received: whatever the handler answered before that message
// arrived reached R before the echo. Every session sends such a fence
// message before it leaves, and all live ones once after the load stops.
// - due (must be received exactly once): R's join ack arrived before lo,
//   and hi is before R's horizon. Own "joined" notice: always due.
// - outside the membership (must not be received): hi before R sent
//   `join`, or lo after R's leave ack; R's own "left" after `leave`.
// - otherwise open: counted, not judged (the race is real).
// Any message or notice seen twice is a duplicate; a sender's k seen below
// one already seen from that sender is out of order; "joined" after "left"
// of the same session is out of order.
//
// Memory: the server's RSS every 5 s. Fails when the end RSS exceeds the
// warm-up RSS (at a fifth of the run) by margin * warm-up + slack, or on a
// sustained rise: the least-squares slope over the last half of the load
// above SOAK_RSS_SLOPE_KIB KiB/min, the last quarter's above half of that
// (still rising, not levelling off), and the fitted rise over the last half
// above SOAK_RSS_RISE_MB. 1 MiB/min is far above the healthy tail (a few
// hundred KiB/min while allocator arenas settle) and far below what a leak
// on the message path gives: ~4,000 deliveries/s at the defaults, so even
// one leaked 16-byte ASan chunk per delivery is ~4 MiB/min, and one leaked
// KiB per session (~600 sessions/min) ~0.6 MiB/min, which the end check
// over 10 minutes then catches.
//
//   node scripts/soak.mjs --mode chat|serverless --seconds 600 --build build-soak-asan --out FILE
// Environment (defaults): SOAK_CLIENTS (2000), SOAK_ROOM_SIZE (10),
// SOAK_CHURN (0.1, fraction of clients that reconnect), SOAK_EMIT_MS (5000,
// per-client emit interval), SOAK_REST_MS (100, REST send interval; every
// 4th goes to the namespace), SOAK_PER_WORKER (800 clients per worker
// process), SOAK_SERVER (the binary, default BUILD/examples/sio-server/
// sio-server), SOAK_RSS_MARGIN (0.10) and SOAK_RSS_SLACK_MB (8),
// SOAK_RSS_SLOPE_KIB (1024) and SOAK_RSS_RISE_MB (2). SOAK_DEBUG=1 logs each
// worker's clients by phase every 5 s.
import { spawn, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const HUB = 'soak';
const LEAVE_GRACE_MS = 5000;   // see the accounting notes above
const ABRUPT_GRACE_MS = 5000;  // see the chat accounting notes above
const DRAIN_MS = 10000;        // a leaving client waits this long for its acks
const FINAL_GRACE_MS = 20000;  // after the load stops, for the last deliveries
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const envNum = (n, d) => (process.env[n] !== undefined && process.env[n] !== '' ? Number(process.env[n]) : d);

// ============================================================= histogram

/** Latency counts by whole millisecond (sparse), mergeable across processes. */
class Histogram {
  constructor(obj = {}) { this.m = new Map(Object.entries(obj).map(([k, v]) => [Number(k), v])); }
  add(ms) { const k = Math.max(0, Math.round(ms)); this.m.set(k, (this.m.get(k) ?? 0) + 1); }
  merge(obj) { for (const [k, v] of Object.entries(obj)) this.m.set(Number(k), (this.m.get(Number(k)) ?? 0) + v); }
  toJSON() { return Object.fromEntries(this.m); }
  get count() { let n = 0; for (const v of this.m.values()) n += v; return n; }
  quantile(q) {
    const keys = [...this.m.keys()].sort((a, b) => a - b);
    const total = this.count;
    if (!total) return null;
    let seen = 0;
    for (const k of keys) { seen += this.m.get(k); if (seen >= q * total) return k; }
    return keys[keys.length - 1];
  }
}

// ============================================================= worker

async function workerMain() {
  const { default: WebSocket } = await import('ws');
  let cfg = null;
  let stopped = false;     // no more emits, churn or reconnects
  let closing = false;     // every close from now on is ours
  const clients = [];
  const archived = [];     // ended sessions that had joined
  const ackLatency = new Histogram();
  const restLatency = new Histogram();
  const st = {
    sessions: 0, opened: 0, connected: 0, joins: 0, connectErrors: 0, joinErrors: 0,
    unexpectedCloses: 0, cleanLeaves: 0, abruptLeaves: 0,
    emits: 0, acksOk: 0, acksError: 0, ackDuplicates: 0, acksMissing: 0,
    echoSeen: 0, echoDuplicates: 0, echoMissing: 0, echoOutOfOrder: 0,
    chatFromOthers: 0, chatMisrouted: 0, chatDuplicates: 0, chatOutOfOrder: 0, chatMalformed: 0,
    systemNotices: 0, noticeMisrouted: 0, noticeDuplicates: 0, noticeOutOfOrder: 0, noticeMalformed: 0,
    restSeen: 0,
  };
  let leaves = 0;      // alternates clean and abrupt leaves
  const errors = [];  // first few unexpected things, for the report
  const note = (s) => { if (errors.length < 20) errors.push(s); };

  const url = () => `ws://127.0.0.1:${cfg.port}/clients/socketio/hubs/${HUB}/?EIO=4&transport=websocket`;
  const roomName = (i) => `room-${i}`;
  const rand = (a, b) => a + Math.random() * (b - a);

  function newSession(c) {
    const s = {
      c, no: ++c.sessions, name: null, ws: null, room: c.churn ? Math.floor(Math.random() * cfg.rooms) : c.id % cfg.rooms,
      phase: 'connecting', nextAck: 0, acks: new Map(),
      // The membership window (see "Chat accounting" at the top).
      joinTx: null, joinMs: null, leaveTx: null, leaveAckRx: null, leaveMs: null, horizon: null,
      msgs: [],            // own acked messages: k, emitTx, ackRx, ...
      echo: new Map(),     // own text -> emitTx, until it comes back
      echoDone: new Set(), lastOwnK: 0,
      chat: new Map(),     // sender name -> { n: [count by k], last }
      notices: new Map(),  // "joined c5.2" / "left c5.2" -> count
      recv: new Uint8Array(1024), emitted: 0,
      emitTimer: null, leaveTimer: null, hsTimer: null, deliberate: false, sid: null, t: {},
    };
    s.name = `c${c.id}.${s.no}`;
    st.sessions++;
    return s;
  }

  function sendPkt(s, text) {
    if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.send(text);
  }

  function emitAck(s, kind, json, extra = {}) {
    const id = s.nextAck++;
    s.acks.set(id, { kind, t: Date.now(), ...extra });
    sendPkt(s, `42${id}${json}`);
  }

  /** One chat message `<name>.<k>` to the session's room, with an ack. */
  function emitMessage(s) {
    const k = ++s.emitted;
    const text = `${s.name}.${k}`;
    s.echo.set(text, Date.now());
    st.emits++;
    emitAck(s, 'msg', `["message",{"room":"${roomName(s.room)}","text":"${text}"}]`, { text, k });
  }

  function connect(c) {
    const s = newSession(c);
    c.cur = s;
    const ws = new WebSocket(url(), { perMessageDeflate: false, handshakeTimeout: 60000 });
    s.ws = ws;
    const t0 = Date.now();
    const hsTimer = s.hsTimer = setTimeout(() => {
      if (s.phase !== 'joined' && s.phase !== 'closed') {
        // Counted as a failed connect; an unanswered join also as a missing ack.
        st.connectErrors++;
        const at = (k) => (s.t[k] === undefined ? '-' : `${s.t[k] - t0}ms`);
        note(`client ${c.id} sid ${s.sid}: not joined within 60 s (phase ${s.phase}; ws open ${at('open')},` +
          ` eio open ${at('eio')}, CONNECT ack ${at('connected')}, join sent ${at('join')}; at ${new Date().toISOString()})`);
        s.deliberate = true;
        s.leaveMs = s.leaveTx = Date.now();
        finishSession(s);
        ws.terminate();
        if (!stopped) setTimeout(() => { if (!stopped) connect(c); }, 1000);
      }
    }, 60000);
    ws.on('open', () => { st.opened++; s.phase = 'open'; s.t.open = Date.now(); });
    ws.on('message', (data, isBinary) => {
      if (isBinary) { note(`client ${c.id}: unexpected binary frame`); return; }
      onPacket(s, data.toString());
    });
    ws.on('error', (e) => { if (s.phase === 'connecting') note(`client ${c.id}: ${e.message}`); });
    ws.on('close', (code) => {
      clearTimeout(hsTimer);
      clearInterval(s.emitTimer);
      clearTimeout(s.leaveTimer);
      const was = s.phase;
      s.phase = 'closed';
      if (!s.deliberate && !closing) {
        st.unexpectedCloses++;
        note(`client ${c.id} session ${s.no}: closed by the server (code ${code}) in phase ${was}`);
        if (s.leaveTx === null) s.leaveMs = s.leaveTx = Date.now();
        finishSession(s);
        if (!stopped) setTimeout(() => { if (!stopped) connect(c); }, 1000);
      }
    });
  }

  /** Moves an ended session to the archive; its open acks count as missing. */
  function finishSession(s) {
    st.acksMissing += s.acks.size;
    st.echoMissing += s.echo.size;
    if (s.acks.size || s.echo.size) note(`client ${s.c.id} session ${s.no}: ${s.acks.size} acks, ${s.echo.size} echoes missing at leave`);
    s.acks.clear();
    s.echo.clear();
    if (s.joinMs !== null) archived.push(s);
  }

  function onPacket(s, p) {
    const c = s.c;
    switch (p[0]) {
      case '0':
        s.t.eio = Date.now();
        try { s.sid = JSON.parse(p.slice(1)).sid; } catch { /* reported by the server's behaviour */ }
        sendPkt(s, `40{"name":"${s.name}"}`);
        return;
      case '2': sendPkt(s, '3'); return;
      case '1': return;  // close: the 'close' event follows
      case '4': break;
      default: note(`client ${c.id}: unexpected packet ${p.slice(0, 40)}`); return;
    }
    const t = p[1];
    if (t === '0') {  // CONNECT ack
      st.connected++;
      s.phase = 'connected';
      s.t.connected = s.t.join = s.joinTx = Date.now();
      emitAck(s, 'join', `["join","${roomName(s.room)}"]`);
      return;
    }
    if (t === '4') { st.connectErrors++; note(`client ${c.id}: CONNECT_ERROR ${p}`); return; }
    if (t === '1') { note(`client ${c.id}: DISCONNECT from the server`); return; }
    if (t === '3') {  // ACK: 43<id>[...]
      const b = p.indexOf('[');
      const id = Number(p.slice(2, b));
      const a = s.acks.get(id);
      if (!a) { st.ackDuplicates++; note(`client ${c.id}: ack ${id} not expected`); return; }
      s.acks.delete(id);
      const now = Date.now();
      ackLatency.add(now - a.t);
      let ok = false;
      try { ok = JSON.parse(p.slice(b))[0]?.ok === true; } catch { /* counted below */ }
      if (!ok) {
        st.acksError++;
        note(`client ${c.id}: ${a.kind} failed: ${p.slice(0, 120)}`);
        if (a.kind === 'msg') s.echo.delete(a.text);
        if (a.kind === 'join') st.joinErrors++;
        return;
      }
      st.acksOk++;
      if (a.kind === 'msg') {
        s.msgs.push(a.k, a.t, now);
      } else if (a.kind === 'leave') {
        s.leaveAckRx = now;
      } else if (a.kind === 'join') {
        st.joins++;
        clearTimeout(s.hsTimer);
        c.everJoined = true;
        s.joinMs = now;
        s.phase = 'joined';
        startLoad(s);
      }
      return;
    }
    if (t !== '2') { note(`client ${c.id}: unexpected packet ${p.slice(0, 40)}`); return; }
    let ev;
    try { ev = JSON.parse(p.slice(2)); } catch { note(`client ${c.id}: bad event ${p.slice(0, 60)}`); return; }
    const [name, arg] = ev;
    if (name === 'rest') {
      st.restSeen++;
      restLatency.add(Date.now() - arg.t);
      if (arg.s >= s.recv.length) {
        const grown = new Uint8Array(Math.max(arg.s + 1, s.recv.length * 2));
        grown.set(s.recv);
        s.recv = grown;
      }
      if (s.recv[arg.s] < 255) s.recv[arg.s]++;
    } else if (name === 'message') {
      onChat(s, arg);
    } else if (name === 'system') {
      onNotice(s, arg);
    } else {
      note(`client ${c.id}: unexpected event ${name}`);
    }
  }

  /** A chat message: own (echo) or a room mate's; duplicates and order per sender. */
  function onChat(s, arg) {
    const text = typeof arg?.text === 'string' ? arg.text : '';
    const k = Number(text.slice(text.lastIndexOf('.') + 1));
    if (typeof arg?.from !== 'string' || !text.startsWith(`${arg.from}.`) || !(k >= 1)) {
      st.chatMalformed++;
      note(`${s.name}: chat message not from the soak: ${JSON.stringify(arg).slice(0, 80)}`);
      return;
    }
    if (arg.room !== roomName(s.room)) {
      st.chatMisrouted++;
      note(`${s.name} in ${roomName(s.room)} got chat of ${arg.room}`);
    }
    if (arg.from === s.name) {
      if (s.echo.has(text)) {
        s.horizon = Math.max(s.horizon ?? 0, s.echo.get(text));
        s.echo.delete(text);
        s.echoDone.add(text);
        st.echoSeen++;
        if (k < s.lastOwnK) { st.echoOutOfOrder++; note(`${s.name}: own message ${k} after ${s.lastOwnK}`); }
        s.lastOwnK = Math.max(s.lastOwnK, k);
      } else if (s.echoDone.has(text)) { st.echoDuplicates++; note(`${s.name}: own message twice: ${text}`); }
      else note(`${s.name}: own message never sent: ${text}`);
      return;
    }
    st.chatFromOthers++;
    let r = s.chat.get(arg.from);
    if (!r) s.chat.set(arg.from, r = { n: [], last: 0 });
    if (r.n[k]) { st.chatDuplicates++; note(`${s.name}: ${text} twice`); }
    else if (k < r.last) { st.chatOutOfOrder++; note(`${s.name}: ${text} after ${arg.from}.${r.last}`); }
    r.n[k] = (r.n[k] ?? 0) + 1;
    r.last = Math.max(r.last, k);
  }

  /** A `system` notice "<name> joined|left <room>". */
  function onNotice(s, arg) {
    st.systemNotices++;
    const m = /^(c\d+\.\d+) (joined|left) (\S+)$/.exec(typeof arg?.text === 'string' ? arg.text : '');
    if (!m || m[3] !== arg.room) {
      st.noticeMalformed++;
      note(`${s.name}: notice not from the soak: ${JSON.stringify(arg).slice(0, 80)}`);
      return;
    }
    if (arg.room !== roomName(s.room)) { st.noticeMisrouted++; note(`${s.name} in ${roomName(s.room)} got notice ${arg.text}`); }
    const key = `${m[2]} ${m[1]}`;
    const n = s.notices.get(key) ?? 0;
    if (n) { st.noticeDuplicates++; note(`${s.name}: notice "${arg.text}" twice`); }
    else if (m[2] === 'joined' && s.notices.has(`left ${m[1]}`)) { st.noticeOutOfOrder++; note(`${s.name}: "${arg.text}" after its leave`); }
    s.notices.set(key, n + 1);
  }

  function startLoad(s) {
    if (stopped) return;
    const emit = () => {
      if (stopped || s.phase !== 'joined' || s.acks.size >= 4) return;
      emitMessage(s);
    };
    setTimeout(() => { emit(); s.emitTimer = setInterval(emit, cfg.emitMs); }, Math.random() * cfg.emitMs);
    if (s.c.churn) s.leaveTimer = setTimeout(() => leave(s), rand(cfg.churnMinMs, cfg.churnMaxMs));
  }

  /** Waits (bounded) until the session has no open acks and echoes. */
  async function drain(s, ms) {
    const until = Date.now() + ms;
    while ((s.acks.size || s.echo.size) && Date.now() < until && s.phase === 'leaving') await sleep(100);
  }

  /**
   * Churn: a fence message (its echo closes the session's horizon), drain
   * own acks and echoes (bounded), then either `leave` (acked) and a clean
   * close, or an abrupt one; then come back in another session.
   */
  async function leave(s) {
    if (s.phase !== 'joined') return;
    s.phase = 'leaving';
    clearInterval(s.emitTimer);
    emitMessage(s);
    await drain(s, DRAIN_MS);
    if (s.phase !== 'leaving') return;  // the server closed it meanwhile
    const clean = ++leaves % 2 === 1;
    s.leaveMs = s.leaveTx = Date.now();
    if (clean) {
      emitAck(s, 'leave', `["leave","${roomName(s.room)}"]`);
      await drain(s, DRAIN_MS);
      if (s.phase !== 'leaving') return;
      st.cleanLeaves++;
      s.deliberate = true;
      finishSession(s);
      sendPkt(s, '41');
      s.ws.close(1000);
    } else {
      st.abruptLeaves++;
      s.deliberate = true;
      finishSession(s);
      s.ws.terminate();
    }
    if (!stopped) setTimeout(() => { if (!stopped) connect(s.c); }, rand(200, 1500));
  }

  /** The sender side of every session that had joined: what the other workers need. */
  function sessionLogs() {
    const logs = [];
    const add = (s) => logs.push({ name: s.name, room: s.room, joinTx: s.joinTx, joinAckRx: s.joinMs,
      leaveTx: s.leaveTx, leaveAckRx: s.leaveAckRx, msgs: s.msgs });
    for (const s of archived) add(s);
    for (const c of clients) if (c.cur && c.cur.phase !== 'closed' && c.cur.joinMs !== null) add(c.cur);
    return logs;
  }

  function sessionsToCheck() {
    const list = [...archived];
    for (const c of clients) if (c.cur && c.cur.phase !== 'closed' && c.cur.joinMs !== null) list.push(c.cur);
    return list;
  }

  function evaluateRest(sends, failed) {
    const byRoom = new Map();
    const ns = [];
    const sendMap = new Map();
    for (const e of sends) {
      sendMap.set(e[0], e);
      if (e[1] < 0) ns.push(e);
      else { if (!byRoom.has(e[1])) byRoom.set(e[1], []); byRoom.get(e[1]).push(e); }
    }
    const failedSet = new Set(failed);
    const r = { restExpected: 0, restLost: 0, restDuplicates: 0, restMisrouted: 0, restUnlogged: 0, restReceived: 0,
      sessionsChecked: 0, lostSamples: [] };
    const check = (sess, live) => {
      r.sessionsChecked++;
      const want = (e) => e[2] > sess.joinMs && (live || e[3] + LEAVE_GRACE_MS < sess.leaveMs);
      for (const list of [ns, byRoom.get(sess.room) ?? []]) {
        for (const e of list) {
          if (!want(e)) continue;
          r.restExpected++;
          if (!(e[0] < sess.recv.length && sess.recv[e[0]] > 0)) {
            r.restLost++;
            if (r.lostSamples.length < 5) r.lostSamples.push({ seq: e[0], room: e[1], issue: e[2], join: sess.joinMs, leave: sess.leaveMs });
          }
        }
      }
      for (let q = 1; q < sess.recv.length; q++) {
        const n = sess.recv[q];
        if (!n) continue;
        r.restReceived += n;
        if (n > 1) r.restDuplicates += n - 1;
        const e = sendMap.get(q);
        if (e) { if (e[1] >= 0 && e[1] !== sess.room) r.restMisrouted++; }
        else if (!failedSet.has(q)) r.restUnlogged++;
      }
    };
    for (const s of sessionsToCheck()) check(s, s.phase !== 'closed');
    return r;
  }

  /**
   * Room-mate chat and notices of every session here against the sender
   * logs of all workers (see "Chat accounting" at the top).
   */
  function evaluateChat(logs) {
    const byRoom = new Map();
    const byName = new Map();
    for (const l of logs) {
      if (!byRoom.has(l.room)) byRoom.set(l.room, []);
      byRoom.get(l.room).push(l);
      byName.set(l.name, l);
    }
    const r = { chatUnlogged: 0, noticeUnlogged: 0, chatSamples: [] };
    const chat = { due: 0, lost: 0, outside: 0, open: 0 };
    const notice = { due: 0, lost: 0, outside: 0, open: 0 };
    const sample = (what) => { if (r.chatSamples.length < 8) r.chatSamples.push(what); };
    for (const R of sessionsToCheck()) {
      /**
       * Event with window (lo, hi) received n times by R: due when R was in
       * the room before lo and its horizon is past hi. what() names it.
       */
      const classify = (c, what, lo, hiExpect, hiCertain, n) => {
        const due = R.joinMs < lo && R.horizon !== null && hiExpect !== null && hiExpect < R.horizon;
        const outside = (hiCertain !== null && hiCertain < R.joinTx) || (R.leaveAckRx !== null && lo > R.leaveAckRx);
        if (due) {
          c.due++;
          if (!n) { c.lost++; sample(`${R.name} (room-${R.room}, joined ${R.joinMs}, horizon ${R.horizon}) lost ${what()}`); }
        } else if (outside) {
          if (n) { c.outside++; sample(`${R.name} (room-${R.room}, join sent ${R.joinTx}, left ${R.leaveAckRx}) got ${what()} outside its membership`); }
        } else if (n) {
          c.open++;
        }
      };
      const seenChat = new Set();
      for (const S of byRoom.get(R.room) ?? []) {
        const own = S.name === R.name;
        if (!own) {
          const got = R.chat.get(S.name);
          if (got) seenChat.add(S.name);
          const m = S.msgs;
          for (let i = 0; i < m.length; i += 3) {
            classify(chat, () => `${S.name}.${m[i]} (sent ${m[i + 1]}, acked ${m[i + 2]})`, m[i + 1], m[i + 2], m[i + 2], got?.n[m[i]] ?? 0);
          }
          if (got) {
            const ks = new Set();
            for (let i = 0; i < m.length; i += 3) ks.add(m[i]);
            got.n.forEach((n, k) => { if (n && !ks.has(k)) { r.chatUnlogged++; sample(`${R.name} got ${S.name}.${k}, never acked`); } });
          }
        }
        const joined = R.notices.get(`joined ${S.name}`) ?? 0;
        if (own) {
          // Its own join notice follows its membership: always due.
          if (R.horizon !== null) { notice.due++; if (!joined) { notice.lost++; sample(`${R.name} lost its own join notice`); } }
        } else {
          classify(notice, () => `"${S.name} joined" (join sent ${S.joinTx}, acked ${S.joinAckRx})`, S.joinTx, S.joinAckRx, S.joinAckRx, joined);
        }
        const left = R.notices.get(`left ${S.name}`) ?? 0;
        if (S.leaveAckRx !== null) {
          if (own) { if (left) { notice.outside++; sample(`${R.name} got its own leave notice after leaving`); } }
          else classify(notice, () => `"${S.name} left" (leave sent ${S.leaveTx}, acked ${S.leaveAckRx})`, S.leaveTx, S.leaveAckRx, S.leaveAckRx, left);
        } else if (S.leaveTx !== null) {
          // Closed without `leave`: the server's notice has no acked upper bound.
          if (!own) classify(notice, () => `"${S.name} left" (closed ${S.leaveTx})`, S.leaveTx, S.leaveTx + ABRUPT_GRACE_MS, null, left);
        } else if (left) {
          r.noticeUnlogged++;
          sample(`${R.name} got "${S.name} left" but ${S.name} did not leave`);
        }
      }
      for (const [name, got] of R.chat) {
        if (seenChat.has(name)) continue;
        const n = got.n.reduce((a, b) => a + (b ?? 0), 0);
        // Another room's sender is counted as misrouted on receipt.
        if (!byName.has(name)) { r.chatUnlogged += n; sample(`${R.name} got ${n} messages of ${name}, a session no worker knows`); }
      }
      for (const [key, n] of R.notices) {
        const who = key.slice(key.indexOf(' ') + 1);
        if (!byName.has(who)) { r.noticeUnlogged += n; sample(`${R.name} got notice "${key}" of a session no worker knows`); }
      }
    }
    return { ...r, chatExpected: chat.due, chatLost: chat.lost, chatOutside: chat.outside, chatUncertain: chat.open,
      noticeExpected: notice.due, noticeLost: notice.lost, noticeOutside: notice.outside, noticeUncertain: notice.open };
  }

  function pending() {
    let acks = 0;
    let echo = 0;
    for (const c of clients) if (c.cur && c.cur.phase !== 'closed') { acks += c.cur.acks.size; echo += c.cur.echo.size; }
    return { acks, echo };
  }

  function progress() {
    let live = 0;
    let joined = 0;
    for (const c of clients) {
      if (c.cur && c.cur.phase !== 'closed') live++;
      if (c.cur && c.cur.phase === 'joined') joined++;
    }
    const phases = {};
    for (const c of clients) if (c.cur && c.cur.phase !== 'joined') phases[c.cur.phase] = (phases[c.cur.phase] ?? 0) + 1;
    return { live, joined, everJoined: clients.filter((c) => c.everJoined).length, phases, never: clients.filter((c) => !c.cur).length, ...st };
  }

  process.on('message', async (m) => {
    if (m.type === 'start') {
      cfg = m.cfg;
      for (const def of cfg.clients) clients.push({ id: def.id, churn: def.churn, sessions: 0, cur: null, everJoined: false });
      // Ramp: at most cfg.rampPerSec new connections per second and at
      // most 32 of this worker's clients between connect and join ack, so
      // that a slow (sanitized, shared) server is not buried in handshakes.
      const gap = 1000 / cfg.rampPerSec;
      const joining = () => clients.filter((c) => c.sessions === 1 && c.cur
        && ['connecting', 'open', 'connected'].includes(c.cur.phase)).length;
      for (let i = 0; i < clients.length && !stopped; i++) {
        while (joining() >= 32 && !stopped) await sleep(20);
        connect(clients[i]);
        await sleep(gap);
      }
    } else if (m.type === 'progress') {
      process.send({ type: 'progress', p: progress() });
    } else if (m.type === 'stop') {
      // No new emits, leaves or sessions; the leaves under way finish.
      stopped = true;
      for (const c of clients) if (c.cur) { clearInterval(c.cur.emitTimer); clearTimeout(c.cur.leaveTimer); }
      const until = Date.now() + 2 * DRAIN_MS + 5000;
      // Handshakes under way finish too, so that every join is in the logs.
      const busy = (c) => ['connecting', 'open', 'connected', 'leaving'].includes(c.cur?.phase);
      while (Date.now() < until && (clients.some(busy) || pending().acks)) await sleep(100);
      process.send({ type: 'stopped' });
    } else if (m.type === 'fence') {
      // Every joined session sends one last message; once its echo is back,
      // everything acked before it was sent must have reached the session.
      for (const c of clients) if (c.cur && c.cur.phase === 'joined') emitMessage(c.cur);
      const until = Date.now() + FINAL_GRACE_MS;
      while (Date.now() < until && (pending().acks || pending().echo)) await sleep(100);
      process.send({ type: 'fenced', logs: sessionLogs() });
    } else if (m.type === 'finish') {
      // Wait (bounded) until no REST number is missing any more, then report.
      const until = Date.now() + m.graceMs;
      let r;
      for (;;) {
        r = evaluateRest(m.sends, m.failed);
        if (r.restLost === 0 || Date.now() >= until) break;
        await sleep(500);
      }
      const chat = evaluateChat(m.logs);
      const p = pending();
      const cpu = process.cpuUsage();
      const out = { ...progress(), ...r, ...chat, cpuS: (cpu.user + cpu.system) / 1e6, acksMissing: st.acksMissing + p.acks, echoMissing: st.echoMissing + p.echo,
        ackLatency: ackLatency.toJSON(), restLatency: restLatency.toJSON(), errors };
      process.send({ type: 'result', r: out });
    } else if (m.type === 'close') {
      closing = true;
      for (const c of clients) {
        if (c.cur && c.cur.ws && c.cur.phase !== 'closed') { c.cur.deliberate = true; sendPkt(c.cur, '41'); c.cur.ws.close(1000); }
      }
      const until = Date.now() + 15000;
      while (clients.some((c) => c.cur && c.cur.phase !== 'closed') && Date.now() < until) await sleep(100);
      for (const c of clients) if (c.cur && c.cur.phase !== 'closed') c.cur.ws.terminate();
      process.send({ type: 'closed' }, () => process.exit(0));
    }
  });
  process.send({ type: 'ready' });
}

// ============================================================= coordinator

/** Least-squares slope of [seconds, KiB] points, in KiB per minute (null if < 3 points). */
function slopeKibPerMin(points) {
  const p = points.filter(([, kb]) => kb !== null);
  if (p.length < 3) return null;
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of p) { sxy += (x - mx) * (y - my); sxx += (x - mx) ** 2; }
  return sxx ? (60 * sxy) / sxx : null;
}

async function coordinatorMain() {
  const argv = process.argv.slice(2);
  const opt = (n, d) => (argv.indexOf(n) >= 0 ? argv[argv.indexOf(n) + 1] : d);
  const seconds = Number(opt('--seconds', '600'));
  const build = path.resolve(repo, opt('--build', 'build-soak-asan'));
  const mode = opt('--mode', 'chat');
  const N = envNum('SOAK_CLIENTS', 2000);
  const roomSize = envNum('SOAK_ROOM_SIZE', 10);
  const churn = envNum('SOAK_CHURN', 0.1);
  const emitMs = envNum('SOAK_EMIT_MS', 5000);
  const restMs = envNum('SOAK_REST_MS', 100);
  const perWorker = envNum('SOAK_PER_WORKER', 800);
  const rssMargin = envNum('SOAK_RSS_MARGIN', 0.10);
  const rssSlackKb = envNum('SOAK_RSS_SLACK_MB', 8) * 1024;
  const slopeLimit = envNum('SOAK_RSS_SLOPE_KIB', 1024);
  const riseFloorKb = envNum('SOAK_RSS_RISE_MB', 2) * 1024;
  const out = path.resolve(repo, opt('--out', process.env.SOAK_OUT || 'SOAK.md'));
  const bin = path.resolve(repo, process.env.SOAK_SERVER || path.join(build, 'examples/sio-server/sio-server'));
  if (!(seconds >= 10) || !(N >= 1)) throw new Error('need --seconds >= 10 and SOAK_CLIENTS >= 1');
  if (!['chat', 'serverless'].includes(mode)) throw new Error('--mode is chat or serverless');
  const serverless = mode === 'serverless';
  const rooms = Math.max(1, Math.ceil(N / roomSize));
  const workers = Math.max(1, Math.ceil(N / perWorker));
  const rampPerSec = 200;  // all workers together
  const log = (...a) => console.error(`[soak ${mode} ${new Date().toISOString().slice(11, 19)}]`, ...a);
  const { WebPubSubServiceClient } = await import('@azure/web-pubsub');
  const kids = new Set();

  // ---- the upstream (serverless): listening before the server's config names it
  let upstream = null;
  if (serverless) {
    const child = fork(path.join(here, 'soak-upstream.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.add(child);
    upstream = { child, inbox: [], waiters: [], exited: false, exit: null };
    child.on('exit', (code, signal) => { upstream.exited = true; upstream.exit = { code, signal }; kids.delete(child); });
    const listening = await new Promise((resolve) => {
      child.once('message', resolve);
      child.once('exit', () => resolve(null));
    });
    if (!listening) { log('the webhook upstream did not start'); process.exit(1); }
    upstream.port = listening.port;
  }
  /** One answer of the upstream to {type}, or null after ms. */
  const askUpstream = (type, extra = {}, ms = 10000) => new Promise((resolve) => {
    if (!upstream || upstream.exited) { resolve(null); return; }
    const timer = setTimeout(() => { upstream.child.off('message', on); resolve(null); }, ms);
    const on = (m) => { if (m.type === (type === 'service' ? 'ready' : type)) { clearTimeout(timer); upstream.child.off('message', on); resolve(m); } };
    upstream.child.on('message', on);
    upstream.child.send({ type, ...extra });
  });

  // ---- the server
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-soak-'));
  const cfgFile = path.join(tmp, 'config.json');
  const logFile = path.join(tmp, 'server.log');
  const hub = serverless
    ? { anonymousConnectPolicy: 'allow', eventHandlers: [{
      urlTemplate: `http://127.0.0.1:${upstream.port}/api/webpubsub/hubs/{hub}/{event}`,
      userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] }] }
    : { anonymousConnectPolicy: 'allow', inProcessHandler: 'chat' };
  fs.writeFileSync(cfgFile, JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, hubs: { [HUB]: hub } }, null, 2));
  // A small ASan quarantine: the default (256 MiB of freed memory held back)
  // fills slowly and would read as RSS growth. Leak checking stays on: a
  // leak report at exit fails the soak.
  const env = {
    ...process.env,
    ASAN_OPTIONS: `quarantine_size_mb=16:detect_leaks=1${process.env.ASAN_OPTIONS ? ':' + process.env.ASAN_OPTIONS : ''}`,
    UBSAN_OPTIONS: `print_stacktrace=1${process.env.UBSAN_OPTIONS ? ':' + process.env.UBSAN_OPTIONS : ''}`,
  };
  const logOut = fs.createWriteStream(logFile);
  const server = spawn(bin, ['--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const sanitizer = [];
  const tail = [];
  let serverExit = null;
  const exitP = new Promise((r) => server.on('exit', (code, signal) => { serverExit = { code, signal }; r(serverExit); }));
  const onLine = (line) => {
    logOut.write(line + '\n');
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/.test(line) && sanitizer.length < 20) sanitizer.push(line);
  };
  readline.createInterface({ input: server.stdout }).on('line', onLine);
  readline.createInterface({ input: server.stderr }).on('line', onLine);
  process.on('exit', () => {
    for (const k of kids) try { k.kill('SIGKILL'); } catch { /* gone */ }
    if (serverExit === null) try { server.kill('SIGKILL'); } catch { /* gone */ }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

  const startDeadline = Date.now() + 60000;
  let connLine = null;
  while (!connLine && Date.now() < startDeadline && serverExit === null) {
    connLine = tail.find((l) => /connection string: Endpoint=/.test(l)) ?? null;
    if (!connLine) await sleep(50);
  }
  if (!connLine) { log('sio-server did not start:\n' + tail.join('\n')); process.exit(1); }
  const connStr = connLine.slice(connLine.indexOf('Endpoint='));
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(connStr)[1]);
  log(`sio-server pid ${server.pid} on 127.0.0.1:${port} (${path.relative(repo, bin)}), log ${logFile}`);
  const svc = new WebPubSubServiceClient(connStr, HUB, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
  if (serverless) {
    if (!(await askUpstream('service', { connectionString: connStr }))) { log('the webhook upstream did not answer'); process.exit(1); }
    log(`webhook upstream pid ${upstream.child.pid} on 127.0.0.1:${upstream.port}`);
  }

  /** CPU seconds a process has used so far (utime + stime). */
  const cpuS = (pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;  // USER_HZ
    } catch { return null; }
  };
  const rssKb = () => {
    try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]); } catch { return null; }
  };

  // ---- the workers
  const ids = Array.from({ length: N }, (_, i) => ({ id: i, churn: (i % Math.round(1 / Math.max(churn, 1e-9))) === 0 && churn > 0 }));
  const procs = [];
  for (let w = 0; w < workers; w++) {
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.add(child);
    const p = { child, inbox: [], waiters: [], exited: false };
    child.on('message', (m) => {
      const i = p.waiters.findIndex((x) => x.type === m.type);
      if (i >= 0) p.waiters.splice(i, 1)[0].resolve(m); else p.inbox.push(m);
    });
    child.on('exit', () => { p.exited = true; kids.delete(child); for (const x of p.waiters) x.resolve(null); p.waiters.length = 0; });
    procs.push(p);
  }
  /** Next message of `type` from worker p, or null after ms / when it died. */
  const recv = (p, type, ms) => new Promise((resolve) => {
    const i = p.inbox.findIndex((m) => m.type === type);
    if (i >= 0) { resolve(p.inbox.splice(i, 1)[0]); return; }
    if (p.exited) { resolve(null); return; }
    const w = { type, resolve };
    p.waiters.push(w);
    setTimeout(() => { const j = p.waiters.indexOf(w); if (j >= 0) { p.waiters.splice(j, 1); resolve(null); } }, ms);
  });
  const ask = async (type, reply, ms, extra = {}) => Promise.all(procs.map(async (p) => {
    if (p.exited) return null;
    p.child.send({ type, ...extra });
    return recv(p, reply, ms);
  }));
  await Promise.all(procs.map((p) => recv(p, 'ready', 10000)));
  const cohortChurn = ids.filter((x) => x.churn).length;
  log(`${N} clients (${cohortChurn} reconnecting) in ${workers} workers, ${rooms} rooms, ${seconds} s`);
  procs.forEach((p, w) => p.child.send({ type: 'start', cfg: {
    port, rooms, emitMs, churnMinMs: 10000, churnMaxMs: 30000, rampPerSec: rampPerSec / workers,
    clients: ids.filter((_, i) => Math.floor((i * workers) / N) === w),
  } }));

  // ---- the load phase
  const t0 = Date.now();
  const cpu0 = cpuS(server.pid);
  const upCpu0 = upstream ? cpuS(upstream.child.pid) : null;
  const endAt = t0 + seconds * 1000;
  const warmAt = t0 + seconds * 200;
  const sends = [];     // [seq, room or -1, issueMs, doneMs]
  const failed = [];    // seqs whose REST call failed
  const restErrors = [];
  let seq = 0;
  let inFlight = 0;
  let skipped = 0;
  const restLat = new Histogram();
  const rssSeries = [];
  let warm = null;
  let warmNote = '';
  let lastProgress = null;
  let tick = 0;
  const restTimer = setInterval(() => {
    if (inFlight >= 8) { skipped++; return; }
    const n = ++seq;
    const room = tick++ % 4 === 3 ? -1 : (tick * 7919) % rooms;
    const group = room < 0 ? `0~${b64u('/')}~` : `0~${b64u('/')}~${b64u(`room-${room}`)}`;
    const issue = Date.now();
    inFlight++;
    svc.group(group).sendToAll(`42["rest",{"s":${n},"t":${issue}}]`, { contentType: 'text/plain' })
      .then(() => { const done = Date.now(); restLat.add(done - issue); sends.push([n, room, issue, done]); })
      .catch((e) => { failed.push(n); if (restErrors.length < 10) restErrors.push(`seq ${n}: ${e.message}`); })
      .finally(() => { inFlight--; });
  }, restMs);

  let crashed = false;
  while (Date.now() < endAt) {
    await sleep(Math.min(5000, endAt - Date.now()));
    if (serverExit !== null) { crashed = true; log(`sio-server exited during the load: ${JSON.stringify(serverExit)}`); break; }
    if (upstream?.exited) { log(`the webhook upstream exited during the load: ${JSON.stringify(upstream.exit)}`); break; }
    const rss = rssKb();
    const rs = await ask('progress', 'progress', 5000);
    const sum = (k) => rs.reduce((a, m) => a + (m?.p?.[k] ?? 0), 0);
    lastProgress = { live: sum('live'), joined: sum('joined'), everJoined: sum('everJoined'), emits: sum('emits'),
      restSeen: sum('restSeen'), unexpected: sum('unexpectedCloses'), errors: sum('acksError') + sum('connectErrors') };
    if (process.env.SOAK_DEBUG) log(JSON.stringify(rs.map((m) => [m?.p?.phases, m?.p?.never])));
    rssSeries.push([Math.round((Date.now() - t0) / 1000), rss]);
    if (!warm && Date.now() >= warmAt && lastProgress.everJoined >= N) {
      warm = { atS: Math.round((Date.now() - t0) / 1000), kb: rss };
      log(`warm-up RSS ${(rss / 1024).toFixed(1)} MiB`);
    }
    log(`t=${Math.round((Date.now() - t0) / 1000)}s live ${lastProgress.live} joined ${lastProgress.joined}` +
      ` emits ${lastProgress.emits} rest sent ${sends.length} seen ${lastProgress.restSeen}` +
      ` unexpected closes ${lastProgress.unexpected} errors ${lastProgress.errors} RSS ${(rss / 1024).toFixed(1)} MiB`);
  }
  clearInterval(restTimer);
  const loadS = (Date.now() - t0) / 1000;
  const serverCpu = cpuS(server.pid) - cpu0;
  const upstreamCpu = upstream ? cpuS(upstream.child.pid) - upCpu0 : null;
  if (!warm) {
    warmNote = 'not every client had joined by the end of the warm-up; ';
    warm = rssSeries.length ? { atS: rssSeries[Math.floor(rssSeries.length / 5)][0], kb: rssSeries[Math.floor(rssSeries.length / 5)][1] } : null;
  }

  // ---- drain, fence and account
  const drainUntil = Date.now() + 30000;
  while (inFlight > 0 && Date.now() < drainUntil) await sleep(50);
  await ask('stop', 'stopped', 2 * DRAIN_MS + 15000);
  // Lets the notices of the last abrupt closes become due before the fence.
  await sleep(ABRUPT_GRACE_MS);
  const fenced = await ask('fence', 'fenced', FINAL_GRACE_MS + 60000);
  const logs = fenced.flatMap((m) => m?.logs ?? []);
  log(`load stopped; ${sends.length} REST sends answered, ${failed.length} failed; ${logs.length} sessions fenced;` +
    ` waiting up to ${FINAL_GRACE_MS / 1000} s for REST deliveries`);
  const results = await ask('finish', 'result', FINAL_GRACE_MS + 120000,
    { sends, failed, logs, graceMs: crashed ? 1000 : FINAL_GRACE_MS });
  const endRss = rssKb();
  await ask('close', 'closed', 30000);
  for (const p of procs) if (!p.exited) p.child.kill('SIGKILL');
  // Lets the upstream see the last disconnected events before it reports.
  const upStats = upstream ? (await sleep(2000), await askUpstream('stats'))?.st ?? null : null;

  // ---- stop the server (then the upstream: the server's drain may still call it)
  if (serverExit === null) server.kill('SIGTERM');
  const stopT = Date.now();
  const ex = await Promise.race([exitP, sleep(120000).then(() => null)]);
  if (!ex) { server.kill('SIGKILL'); await exitP; }
  const stopS = ((Date.now() - stopT) / 1000).toFixed(1);
  await new Promise((r) => logOut.end(r));
  if (upstream && !upstream.exited) {
    upstream.child.send({ type: 'close' });
    await Promise.race([new Promise((r) => upstream.child.once('exit', r)), sleep(5000)]);
    if (!upstream.exited) upstream.child.kill('SIGKILL');
  }

  // ---- verdict
  const tot = {};
  const ackLat = new Histogram();
  const delLat = new Histogram();
  const workerErrors = [];
  const lostSamples = [];
  const chatSamples = [];
  let missingWorkers = 0;
  for (const m of results) {
    if (!m) { missingWorkers++; continue; }
    for (const [k, v] of Object.entries(m.r)) if (typeof v === 'number') tot[k] = (tot[k] ?? 0) + v;
    ackLat.merge(m.r.ackLatency);
    delLat.merge(m.r.restLatency);
    workerErrors.push(...m.r.errors);
    lostSamples.push(...m.r.lostSamples);
    chatSamples.push(...m.r.chatSamples);
  }
  const g = (k) => tot[k] ?? 0;
  const rssLimit = warm ? Math.round(warm.kb * (1 + rssMargin) + rssSlackKb) : null;
  // Memory trend: least squares over the last half of the load, and over
  // its last quarter to tell a rise that keeps going from one that levels off.
  const half = rssSeries.filter(([s]) => s >= loadS / 2);
  const quarter = rssSeries.filter(([s]) => s >= (3 * loadS) / 4);
  const slopeHalf = slopeKibPerMin(half);
  const slopeQuarter = slopeKibPerMin(quarter);
  const halfMin = half.length > 1 ? (half[half.length - 1][0] - half[0][0]) / 60 : 0;
  const riseHalfKb = slopeHalf === null ? null : slopeHalf * halfMin;
  const sustainedRise = slopeHalf !== null && slopeQuarter !== null
    && slopeHalf > slopeLimit && slopeQuarter > slopeLimit / 2 && riseHalfKb > riseFloorKb;
  const fails = [];
  if (crashed || !ex || ex.code !== 0) fails.push(`server exit ${JSON.stringify(serverExit)}${crashed ? ' during the load' : ''}`);
  if (sanitizer.length) fails.push(`sanitizer report: ${sanitizer[0]}`);
  if (missingWorkers) fails.push(`${missingWorkers} worker(s) did not report`);
  if (fenced.some((m) => !m)) fails.push('a worker did not report its sessions for the chat check');
  if (g('restLost')) fails.push(`${g('restLost')} REST deliveries lost`);
  if (g('restDuplicates')) fails.push(`${g('restDuplicates')} REST deliveries duplicated`);
  const misrouted = g('restMisrouted') + g('chatMisrouted') + g('noticeMisrouted');
  if (misrouted) fails.push(`${misrouted} messages misrouted`);
  if (g('restUnlogged')) fails.push(`${g('restUnlogged')} REST numbers never sent`);
  if (g('acksMissing')) fails.push(`${g('acksMissing')} acks missing`);
  if (g('ackDuplicates')) fails.push(`${g('ackDuplicates')} acks duplicated or unexpected`);
  if (g('acksError')) fails.push(`${g('acksError')} acks with ok:false`);
  if (g('echoMissing')) fails.push(`${g('echoMissing')} own chat messages lost`);
  if (g('echoDuplicates')) fails.push(`${g('echoDuplicates')} own chat messages duplicated`);
  if (g('echoOutOfOrder')) fails.push(`${g('echoOutOfOrder')} own chat messages out of order`);
  if (g('chatLost')) fails.push(`${g('chatLost')} room-mate chat messages lost`);
  if (g('chatDuplicates')) fails.push(`${g('chatDuplicates')} room-mate chat messages duplicated`);
  if (g('chatOutOfOrder')) fails.push(`${g('chatOutOfOrder')} room-mate chat messages out of the sender's order`);
  if (g('chatOutside')) fails.push(`${g('chatOutside')} room-mate chat messages delivered outside the membership`);
  if (g('chatUnlogged') || g('chatMalformed')) fails.push(`${g('chatUnlogged') + g('chatMalformed')} chat messages nobody sent (or never acked)`);
  if (g('noticeLost')) fails.push(`${g('noticeLost')} system notices lost`);
  if (g('noticeDuplicates')) fails.push(`${g('noticeDuplicates')} system notices duplicated`);
  if (g('noticeOutOfOrder')) fails.push(`${g('noticeOutOfOrder')} system notices out of order (joined after left)`);
  if (g('noticeOutside')) fails.push(`${g('noticeOutside')} system notices delivered outside the membership`);
  if (g('noticeUnlogged') || g('noticeMalformed')) fails.push(`${g('noticeUnlogged') + g('noticeMalformed')} system notices about no known join or leave`);
  if (g('unexpectedCloses')) fails.push(`${g('unexpectedCloses')} connections closed by the server`);
  if (g('connectErrors')) fails.push(`${g('connectErrors')} connects failed`);
  if (failed.length) fails.push(`${failed.length} REST calls failed (${restErrors[0]})`);
  if (serverless && !upStats) fails.push('the webhook upstream did not report');
  if (upStats?.restFailures) fails.push(`${upStats.restFailures} REST calls of the upstream failed (${upStats.errors[0]})`);
  if (!warm || endRss === null) fails.push('RSS not sampled');
  else if (endRss > rssLimit) fails.push(`RSS grew: ${(warm.kb / 1024).toFixed(1)} -> ${(endRss / 1024).toFixed(1)} MiB (limit ${(rssLimit / 1024).toFixed(1)})`);
  if (sustainedRise) {
    fails.push(`RSS rises steadily: ${Math.round(slopeHalf)} KiB/min over the last half (${Math.round(slopeQuarter)} over the last quarter),` +
      ` +${(riseHalfKb / 1024).toFixed(1)} MiB (limits ${slopeLimit} KiB/min, half of it over the last quarter, +${(riseFloorKb / 1024).toFixed(1)} MiB)`);
  }
  const verdict = fails.length ? 'FAIL' : 'PASS';

  const mib = (kb) => (kb === null || kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
  const q = (h) => (h.count ? `p50 ${h.quantile(0.5)} ms, p99 ${h.quantile(0.99)} ms, max ${h.quantile(1)} ms` : 'n/a');
  const kib = (x) => (x === null ? 'n/a' : `${Math.round(x)} KiB/min`);
  const cpu = os.cpus();
  const pct = (s) => `${Math.round((100 * s) / loadS)}%`;
  const rows = [
    ['clients (reconnecting cohort)', `${N} (${cohortChurn})`],
    ['sessions (connections opened)', g('sessions')],
    ['joins acked', g('joins')],
    ['leaves: clean (`leave`, acked) / abrupt (socket dropped)', `${g('cleanLeaves')} / ${g('abruptLeaves')}`],
    ['emits with ack (fences included)', g('emits')],
    ['acks ok / error / missing / duplicated', `${g('acksOk')} / ${g('acksError')} / ${g('acksMissing')} / ${g('ackDuplicates')}`],
    ['own chat messages back / lost / duplicated / out of order', `${g('echoSeen')} / ${g('echoMissing')} / ${g('echoDuplicates')} / ${g('echoOutOfOrder')}`],
    ['room-mate chat: due / lost', `${g('chatExpected')} / ${g('chatLost')}`],
    ['room-mate chat: received / duplicated / out of order / misrouted / outside the membership',
      `${g('chatFromOthers')} / ${g('chatDuplicates')} / ${g('chatOutOfOrder')} / ${g('chatMisrouted')} / ${g('chatOutside')}`],
    ['room-mate chat received in a window the check leaves open', g('chatUncertain')],
    ['system notices: due / lost', `${g('noticeExpected')} / ${g('noticeLost')}`],
    ['system notices: received / duplicated / out of order / misrouted / outside the membership',
      `${g('systemNotices')} / ${g('noticeDuplicates')} / ${g('noticeOutOfOrder')} / ${g('noticeMisrouted')} / ${g('noticeOutside')}`],
    ['system notices received in a window the check leaves open', g('noticeUncertain')],
    ['REST sends answered / failed / skipped (8 in flight)', `${sends.length} / ${failed.length} / ${skipped}`],
    ['REST deliveries expected / lost', `${g('restExpected')} / ${g('restLost')}`],
    ['REST deliveries received / duplicated / misrouted', `${g('restReceived')} / ${g('restDuplicates')} / ${g('restMisrouted')}`],
    ['connections closed by the server', g('unexpectedCloses')],
    ...(upStats ? [['upstream: webhooks connect / connected / disconnected / events', `${upStats.connects} / ${upStats.connected} / ${upStats.disconnected} / ${upStats.events}`],
      ['upstream: REST calls / failed', `${upStats.restCalls} / ${upStats.restFailures}`]] : []),
    ['ack latency', q(ackLat)],
    ['REST delivery latency (issue to receipt)', q(delLat)],
    ['REST call latency', q(restLat)],
    [`CPU during the load: server / all client workers${upstream ? ' / upstream' : ''} (of 100% per core)`,
      `${pct(serverCpu)} / ${pct(g('cpuS'))}${upstream ? ` / ${upstreamCpu === null ? 'n/a' : pct(upstreamCpu)}` : ''} (${os.cpus().length} cores)`],
    ['server RSS at warm-up', warm ? `${mib(warm.kb)} (t=${warm.atS}s)` : 'n/a'],
    ['server RSS at the end', `${mib(endRss)} (limit ${mib(rssLimit)})`],
    ['server RSS max', mib(Math.max(...rssSeries.map((r) => r[1] ?? 0)))],
    ['server RSS slope: last half / last quarter (least squares)', `${kib(slopeHalf)} / ${kib(slopeQuarter)}` +
      ` (fails above ${slopeLimit} and ${slopeLimit / 2} with a rise over ${(riseFloorKb / 1024).toFixed(0)} MiB)`],
    ['server RSS rise over the last half (fitted)', riseHalfKb === null ? 'n/a' : `${(riseHalfKb / 1024).toFixed(1)} MiB`],
    ['server exit', `${JSON.stringify(serverExit)} after SIGTERM (${stopS} s)`],
    ['sanitizer reports', sanitizer.length],
  ];
  const title = serverless
    ? 'Serverless: webhook upstream (`scripts/soak-upstream.mjs`, @azure/web-pubsub-express) answering through REST'
    : 'In-process chat handler (`inProcessHandler: chat`)';
  const md = [
    `## ${title}: ${verdict}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}, Node ${process.version}`,
    `- server: \`${path.relative(repo, bin)}\` (${/asan/.test(bin) ? 'ASan+UBSan' : 'build as given'}), 127.0.0.1, hub \`${HUB}\`` +
      (serverless ? ', every event to the webhook upstream' : ' with the chat handler'),
    `- duration: ${seconds} s load + drain; ${N} clients in ${workers} worker processes, ${rooms} rooms, emit every ${emitMs} ms per client, REST send every ${restMs} ms (every 4th to the namespace), reconnect cohort every 10-30 s`,
    '',
    ...(fails.length ? fails.map((f) => `- ${f}`) : ['Zero lost, duplicated, reordered or misrouted; zero crashes; flat memory.']),
    ...(warmNote ? ['', `Note: ${warmNote.trim()}`] : []),
    '',
    '| measure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `RSS over time (s: MiB): ${rssSeries.map(([s, kb]) => `${s}: ${kb === null ? 'n/a' : (kb / 1024).toFixed(1)}`).join(', ')}`,
    '',
    ...(workerErrors.length ? ['First unexpected events seen by clients:', '', ...workerErrors.slice(0, 10).map((e) => `- ${e}`), ''] : []),
    ...(lostSamples.length ? ['REST lost samples:', '', ...lostSamples.slice(0, 5).map((e) => `- ${JSON.stringify(e)}`), ''] : []),
    ...(chatSamples.length ? ['Chat and notice samples:', '', ...chatSamples.slice(0, 10).map((e) => `- ${e}`), ''] : []),
    ...(upStats?.errors?.length ? ['Upstream errors:', '', ...upStats.errors.map((e) => `- ${e}`), ''] : []),
    ...(sanitizer.length ? ['Sanitizer lines:', '', '```', ...sanitizer, '```', ''] : []),
  ].join('\n');
  fs.writeFileSync(out, md);
  console.log(md);
  log(`${verdict}; wrote ${path.relative(repo, out)}; server log ${logFile}`);
  if (verdict === 'PASS') fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(verdict === 'PASS' ? 0 : 1);
}

function b64u(s) { return Buffer.from(s).toString('base64url'); }

// Last, so that every class and function above is initialised.
if (process.argv.includes('--worker')) {
  await workerMain();
} else {
  await coordinatorMain();
}
