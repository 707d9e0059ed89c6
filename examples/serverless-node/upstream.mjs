#!/usr/bin/env node
// Serverless upstream for hub "chat" in Node: the backend half of the
// Socket.IO serverless workflow. sio-server POSTs CloudEvents webhooks to the
// @azure/web-pubsub-express handler mounted here; this app answers `connect`
// (accept/reject), acks `message` events in the webhook response, and reaches
// other clients only through the service's REST API (@azure/web-pubsub).
// It also serves GET /negotiate?userId=U -> {endpoint, path, token}, the shape
// of the Azure Functions `SocketIONegotiation` binding.
//
//   node upstream.mjs [--port 7071] [--host 127.0.0.1] [--connection-string CS]
//
// Defaults: port from --port, else $UPSTREAM_PORT, else 7071; connection
// string from --connection-string, else $WebPubSubForSocketIOConnectionString,
// else built from config.json next to this file (publicEndpoint + primary key).
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { WebPubSubEventHandler } from '@azure/web-pubsub-express';
import { WebPubSubServiceClient } from '@azure/web-pubsub';

const HUB = 'chat';
/** Where the handler listens; config.json's urlTemplate points here. */
const WEBHOOK_PATH = `/api/webpubsub/hubs/${HUB}/`;
const MAX_TEXT = 1000;              // longest chat text relayed to others
const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const need = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') out.port = need();
    else if (a === '--host') out.host = need();
    else if (a === '--connection-string') out.connectionString = need();
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return out;
}

/** Endpoint=...;AccessKey=...;Version=1.0;[Port=...] -> {endpoint, key}. */
export function parseConnectionString(cs) {
  const kv = {};
  for (const part of cs.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  if (!kv.endpoint || !kv.accesskey) throw new Error('connection string needs Endpoint and AccessKey');
  const url = new URL(kv.endpoint.includes('://') ? kv.endpoint : `https://${kv.endpoint}`);
  if (kv.port) url.port = kv.port;
  return { endpoint: url.origin, key: kv.accesskey };
}

/** The demo's connection string, derived from config.json (demo-only key). */
function connectionStringFromConfig() {
  const cfg = JSON.parse(fs.readFileSync(path.join(here, 'config.json'), 'utf8'));
  return `Endpoint=${cfg.publicEndpoint};AccessKey=${cfg.accessKeys.primary};Version=1.0;`;
}

/** Socket.IO namespace -> its Web PubSub group (`0~b64url(ns)~`, protocol §3.3). */
export const namespaceGroup = (ns) => `0~${Buffer.from(ns).toString('base64url')}~`;

/** Engine.IO text of a Socket.IO EVENT (`42[/ns,]["name",...args]`). */
export const eventPacket = (ns, name, ...args) =>
  `42${ns === '/' ? '' : `${ns},`}${JSON.stringify([name, ...args])}`;

/** Engine.IO text of a Socket.IO ACK (`43[/ns,]<id>[...args]`), the webhook's answer. */
export const ackPacket = (ns, id, ...args) =>
  `43${ns === '/' ? '' : `${ns},`}${id}${JSON.stringify(args)}`;

/** Parses the `message` webhook body `42[/ns,][id]["name",...args]`; null if it is none. */
export function parseEventPacket(text) {
  const m = /^42(?:(\/[^,]*),)?(\d+)?(\[.*)$/s.exec(typeof text === 'string' ? text : '');
  if (!m) return null;
  let arr;
  try { arr = JSON.parse(m[3]); } catch { return null; }
  if (!Array.isArray(arr) || typeof arr[0] !== 'string') return null;
  return { ns: m[1] ?? '/', ackId: m[2], name: arr[0], args: arr.slice(1) };
}

/** True when `ce-signature` holds HMAC-SHA256(key, connectionId) (protocol §4.3). */
function signatureValid(header, connectionId, key) {
  if (!header || !connectionId) return false;
  const want = crypto.createHmac('sha256', key).update(connectionId).digest('hex');
  return header.split(/[,\s]+/).some((s) => s.toLowerCase() === `sha256=${want}`);
}

/**
 * Builds the express app. log(line) receives one line per webhook event.
 * Returns { app, serviceClient }.
 */
export function createUpstream({ connectionString, log = console.log }) {
  const { endpoint, key } = parseConnectionString(connectionString);
  const serviceClient = new WebPubSubServiceClient(connectionString, HUB, {
    allowInsecureConnection: endpoint.startsWith('http:'), // local demo service
  });
  // The express SDK does not hand the Socket.IO headers (ce-namespace,
  // ce-socketId) to the handlers; keep them per request here.
  const current = new AsyncLocalStorage();
  const meta = () => current.getStore() ?? {};

  /** REST: one Socket.IO event to every socket of namespace ns. */
  const broadcast = (ns, name, ...args) =>
    serviceClient.group(namespaceGroup(ns)).sendToAll(eventPacket(ns, name, ...args),
      { contentType: 'text/plain' });
  const notice = (ns, text) => broadcast(ns, 'system', text)
    .catch((e) => log(`REST broadcast failed: ${e.statusCode ?? ''} ${e.message}`));

  const handler = new WebPubSubEventHandler(HUB, {
    path: WEBHOOK_PATH,
    // Answer abuse protection with our service's host only.
    allowedEndpoints: [endpoint],
    handleConnect(req, res) {
      // Clients come with a token from /negotiate; its `sub` is the user.
      const user = req.claims?.sub?.[0];
      const { namespace = '/' } = meta();
      if (!user) {
        log(`connect ${req.context.connectionId} ${namespace} rejected: no user in token`);
        res.fail(401, 'a token with a user id is required (GET /negotiate?userId=...)');
        return;
      }
      log(`connect ${req.context.connectionId} ${namespace} accepted as ${user}`);
      res.success({ userId: user });
    },
    onConnected(req) {
      const { namespace = '/', socketId } = meta();
      const user = req.context.userId ?? req.context.connectionId;
      log(`connected ${user} socket ${socketId} ${namespace}`);
      notice(namespace, `${user} joined`);
    },
    onDisconnected(req) {
      const { namespace = '/', socketId } = meta();
      const user = req.context.userId ?? req.context.connectionId;
      log(`disconnected ${user} socket ${socketId} ${namespace}${req.reason ? ` (${req.reason})` : ''}`);
      notice(namespace, `${user} left`);
    },
    async handleUserEvent(req, res) {
      const ev = parseEventPacket(req.data);
      if (!ev) { res.success(); return; }        // not a text EVENT: nothing to ack
      const user = req.context.userId ?? req.context.connectionId;
      const reply = (...args) => (ev.ackId === undefined
        ? res.success() : res.success(ackPacket(ev.ns, ev.ackId, ...args), 'text'));
      if (ev.name !== 'message') {
        log(`event ${ev.name} from ${user}: unknown`);
        reply({ ok: false, error: `unknown event ${ev.name}` });
        return;
      }
      if (typeof ev.args[0] !== 'string') {
        reply({ ok: false, error: 'message takes a text' });
        return;
      }
      const text = ev.args[0].slice(0, MAX_TEXT);
      log(`message from ${user} ${ev.ns}: ${JSON.stringify(text)}`);
      try {
        await broadcast(ev.ns, 'message', { from: user, text });
        reply({ ok: true });                      // the ack the sender's callback gets
      } catch (e) {
        log(`REST broadcast failed: ${e.statusCode ?? ''} ${e.message}`);
        reply({ ok: false, error: 'broadcast failed' });
      }
    },
  });

  const app = express();
  app.disable('x-powered-by');
  // Webhook guard: events must carry the service's ce-signature (the express
  // SDK does not check it); headers are stashed for the handlers above.
  app.use(WEBHOOK_PATH, (req, res, next) => {
    if (req.method === 'POST'
        && !signatureValid(req.get('ce-signature'), req.get('ce-connectionId'), key)) {
      log(`webhook with a bad ce-signature refused`);
      res.status(401).type('text/plain').send('bad ce-signature');
      return;
    }
    current.run({ namespace: req.get('ce-namespace'), socketId: req.get('ce-socketId') }, next);
  });
  app.use(handler.getMiddleware());

  // Initialization: what the Functions negotiate binding returns.
  app.get(['/negotiate', '/api/negotiate'], async (req, res) => {
    const userId = req.query.userId;
    if (typeof userId !== 'string' || !USER_ID.test(userId)) {
      res.status(400).json({ error: 'userId: 1-64 of A-Z a-z 0-9 _ . @ -' });
      return;
    }
    try {
      // clientProtocol "socketio": aud = {endpoint}/clients/socketio/hubs/chat.
      const { url, token } = await serviceClient.getClientAccessToken({
        userId, clientProtocol: 'socketio', expirationTimeInMinutes: 60,
      });
      const u = new URL(url); // ws(s)://host/clients/socketio/hubs/chat?access_token=...
      const scheme = u.protocol === 'wss:' ? 'https:' : 'http:';
      res.json({ endpoint: `${scheme}//${u.host}`, path: u.pathname, token });
    } catch (e) {
      res.status(500).json({ error: e.message });
    }
  });
  return { app, serviceClient };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  if (args.help) {
    console.log('usage: node upstream.mjs [--port 7071] [--host 127.0.0.1] [--connection-string CS]');
    return;
  }
  const port = Number(args.port ?? process.env.UPSTREAM_PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('--port needs a number 0-65535');
    process.exit(2);
  }
  const host = args.host ?? '127.0.0.1';
  const connectionString = args.connectionString
    ?? process.env.WebPubSubForSocketIOConnectionString ?? connectionStringFromConfig();
  const { app } = createUpstream({ connectionString });
  const server = app.listen(port, host);
  server.on('error', (e) => { console.error(`upstream: ${e.message}`); process.exit(1); });
  server.on('listening', () => {
    const a = server.address();
    console.log(`upstream listening on http://${a.address}:${a.port} ` +
      `(webhook ${WEBHOOK_PATH}, negotiate /negotiate?userId=U, service ${parseConnectionString(connectionString).endpoint})`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
