// scripts/soak-upstream.mjs
// The serverless backend of the soak (scripts/soak.mjs --mode serverless):
// the chat of examples/handlers/chat_handler.cpp rebuilt as a webhook upstream with
// Microsoft's own SDKs. sio-server POSTs CloudEvents to the
// @azure/web-pubsub-express handler; the answers go back only through the
// service's REST API (@azure/web-pubsub): group membership, the room's
// `message` and `system` events, and the ack in the webhook response.
//
// Same events and the same order guarantees as the in-process chat, which
// the soak's accounting relies on:
// - join ROOM: add the connection to the room's group (REST, answered once
//   the hub has it), then `system` "<name> joined <room>" to the room, then
//   the ack {ok, room}.
// - leave ROOM: remove the connection (REST), then "<name> left <room>",
//   then the ack.
// - message {room, text}: `message` {room, from, text, at} to the room
//   (REST answered 202 = queued at the hub), then the ack {ok}.
// - disconnected: "<name> left <room>" to each room it was in.
// The name is the CONNECT auth's `name` (also given back as the userId).
//
// Run by the soak's coordinator as a forked child: it listens on 127.0.0.1
// (port 0), sends {type:'listening', port}, waits for {type:'service',
// connectionString}, and answers {type:'stats'} with its counters.
import express from 'express';
import { WebPubSubEventHandler } from '@azure/web-pubsub-express';
import { WebPubSubServiceClient } from '@azure/web-pubsub';

const HUB = 'soak';
const NSP = '/';  // the soak's clients use the main namespace only
const b64u = (s) => Buffer.from(s).toString('base64url');
/** Web PubSub group of a Socket.IO room (protocol §3.3). */
const roomGroup = (room) => `0~${b64u(NSP)}~${b64u(room)}`;
const eventText = (name, arg) => `42${JSON.stringify([name, arg])}`;
const ackText = (id, arg) => `43${id}${JSON.stringify([arg])}`;

let service = null;
/** connectionId -> { name, rooms: [] } */
const members = new Map();
const st = { connects: 0, connected: 0, disconnected: 0, events: 0, restCalls: 0, restFailures: 0, errors: [] };
const note = (s) => { if (st.errors.length < 10) st.errors.push(s); };

/** Awaits one REST call; counts it and rethrows on failure. */
async function rest(what, p) {
  st.restCalls++;
  try {
    return await p;
  } catch (e) {
    st.restFailures++;
    note(`${what}: ${e.statusCode ?? ''} ${e.message}`);
    throw e;
  }
}

const toRoom = (room, name, arg) => rest(`send to ${room}`,
  service.group(roomGroup(room)).sendToAll(eventText(name, arg), { contentType: 'text/plain' }));
const notice = (room, user, verb) => toRoom(room, 'system', { room, text: `${user} ${verb} ${room}`, at: Date.now() });

function parseEvent(text) {
  const m = /^42(\d+)?(\[.*)$/s.exec(typeof text === 'string' ? text : '');
  if (!m) return null;
  try {
    const arr = JSON.parse(m[2]);
    return Array.isArray(arr) && typeof arr[0] === 'string' ? { ackId: m[1], name: arr[0], args: arr.slice(1) } : null;
  } catch { return null; }
}

const handler = new WebPubSubEventHandler(HUB, {
  path: `/api/webpubsub/hubs/${HUB}/`,
  handleConnect(req, res) {
    st.connects++;
    const name = req.auth?.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) { res.fail(400, 'auth.name required'); return; }
    members.set(req.context.connectionId, { name, rooms: [] });
    res.success({ userId: name });
  },
  onConnected() { st.connected++; },
  onDisconnected(req) {
    st.disconnected++;
    const cid = req.context.connectionId;
    const m = members.get(cid);
    members.delete(cid);
    // The service dropped the memberships itself; the room mates hear of it.
    for (const room of m?.rooms ?? []) notice(room, m.name, 'left').catch(() => {});
  },
  async handleUserEvent(req, res) {
    st.events++;
    const ev = parseEvent(req.data);
    if (!ev) { res.success(); return; }
    const reply = (arg) => (ev.ackId === undefined ? res.success() : res.success(ackText(ev.ackId, arg), 'text'));
    const cid = req.context.connectionId;
    const m = members.get(cid);
    if (!m) { reply({ ok: false, error: 'unknown connection' }); return; }
    const room = ev.name === 'message' ? ev.args[0]?.room : ev.args[0];
    if (typeof room !== 'string' || !room) { reply({ ok: false, error: `${ev.name} needs a room` }); return; }
    try {
      if (ev.name === 'join') {
        if (!m.rooms.includes(room)) {
          m.rooms.push(room);
          await rest('add to group', service.group(roomGroup(room)).addConnection(cid));
          await notice(room, m.name, 'joined');
        }
        reply({ ok: true, room });
      } else if (ev.name === 'leave') {
        if (!m.rooms.includes(room)) { reply({ ok: false, error: `not in room ${room}` }); return; }
        m.rooms.splice(m.rooms.indexOf(room), 1);
        await rest('remove from group', service.group(roomGroup(room)).removeConnection(cid));
        await notice(room, m.name, 'left');
        reply({ ok: true, room });
      } else if (ev.name === 'message') {
        const text = ev.args[0]?.text;
        if (typeof text !== 'string' || !text) { reply({ ok: false, error: 'text must be a string' }); return; }
        if (!m.rooms.includes(room)) { reply({ ok: false, error: `join room ${room} first` }); return; }
        await toRoom(room, 'message', { room, from: m.name, text, at: Date.now() });
        reply({ ok: true });
      } else {
        reply({ ok: false, error: `unknown event ${ev.name}` });
      }
    } catch (e) {
      reply({ ok: false, error: `REST: ${e.message}` });
    }
  },
});

const app = express();
app.disable('x-powered-by');
app.use(handler.getMiddleware());
const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
// The service sends one request per socket at a time, but thousands of sockets.
server.keepAliveTimeout = 60000;
process.on('message', (m) => {
  if (m.type === 'service') {
    service = new WebPubSubServiceClient(m.connectionString, HUB,
      { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    process.send({ type: 'ready' });
  } else if (m.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send({ type: 'stats', st: { ...st, members: members.size, cpuS: (cpu.user + cpu.system) / 1e6 } });
  } else if (m.type === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
