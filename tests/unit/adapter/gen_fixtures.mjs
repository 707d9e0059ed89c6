// tests/unit/adapter/gen_fixtures.mjs
// Records the real bytes that @socket.io/redis-emitter 5.x and socket.io 4.8
// with @socket.io/redis-adapter 8.x publish on Redis, as golden fixtures for
// unit-adapter (lib/cluster). Starts no Redis itself:
//   node gen_fixtures.mjs redis://127.0.0.1:PORT out.json
// Two Node servers (A and B) share the Redis; a socket.io-client connects to
// B so that A's requests get B's real answers (fetchSockets, acks...). A raw
// subscriber PSUBSCRIBEs to "<key>*" and writes every (channel, bytes) it sees.
// For each broadcast it also records what a Node peer sends its clients
// (socket.io-parser's Encoder on the notepack-decoded packet): the frames
// our decoder must produce.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import http from "node:http";

const require = createRequire(import.meta.url);
const { createClient } = require("redis");
const { Emitter } = require("@socket.io/redis-emitter");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { io: ioClient } = require("socket.io-client");
const { Encoder } = require("socket.io-parser");
const notepack = require("notepack.io");

const [redisUrl, outPath] = process.argv.slice(2);
if (!redisUrl || !outPath) {
  console.error("usage: node gen_fixtures.mjs redis://host:port out.json");
  process.exit(2);
}
const key = "socket.io";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Every step and the whole run are bounded in time.
const hardStop = setTimeout(() => { console.error("timeout"); process.exit(1); }, 30000);

const records = [];
let label = "setup";

const recorder = createClient({ url: redisUrl });
await recorder.connect();
await recorder.pSubscribe(key + "*", (msg, channel) => {
  const rec = { label, channel: channel.toString(), base64: msg.toString("base64") };
  // What a Node peer writes to its clients for a broadcast.
  if (rec.channel.startsWith(key + "#") || (msg[0] !== 0x7b && rec.channel.startsWith(key + "-request#"))) {
    try {
      const decoded = notepack.decode(msg);
      const packet = Array.isArray(decoded) ? decoded[1] : decoded.packet;
      if (packet && packet.data) {
        const p = { type: packet.type, data: packet.data, nsp: packet.nsp === undefined ? "/" : packet.nsp };
        const encoded = new Encoder().encode(p);
        rec.node_frames = encoded.map((e) => typeof e === "string"
          ? { binary: false, base64: Buffer.from("4" + e).toString("base64") }
          : { binary: true, base64: Buffer.from(e).toString("base64") });
      }
      rec.node_json = JSON.stringify(decoded, (k, v) =>
        v && v.type === "Buffer" && Array.isArray(v.data) ? { $bin: Buffer.from(v.data).toString("base64") } : v);
    } catch (e) {
      rec.node_error = String(e);
    }
  }
  records.push(rec);
}, true);

async function step(name, fn, wait = 150) {
  label = name;
  await fn();
  await sleep(wait);
}

// --- emitter ---------------------------------------------------------------
const emitterClient = createClient({ url: redisUrl });
await emitterClient.connect();
const emitter = new Emitter(emitterClient);

await step("emitter_all", () => emitter.emit("ev", 1, "two", { three: 3 }));
await step("emitter_room", () => emitter.to("room1").emit("ev", "to room1"));
await step("emitter_two_rooms", () => emitter.to(["room1", "room#2"]).emit("ev", "to two rooms"));
await step("emitter_except", () => emitter.except("room1").emit("ev", "except room1"));
await step("emitter_room_except_flags", () => emitter.to("a").except(["b", "c"]).volatile.compress(false).emit("ev"));
await step("emitter_nsp_admin", () => emitter.of("/admin").emit("ev", "admin"));
await step("emitter_nsp_admin_room", () => emitter.of("admin").to("ops#x").emit("ev", "admin room"));
await step("emitter_binary", () => emitter.emit("bin", Buffer.from([1, 2, 3]), { nested: [Buffer.from("xyz"), 4] }));
await step("emitter_nested", () => emitter.emit("nested", { a: { b: { c: [1, [2, [3, { d: null }]]] } }, "10": "ten", "2": "two", z: true, f: false }));
await step("emitter_unicode", () => emitter.emit("uni", "héllo wörld ✓ 😀 \"quoted\" back\\slash \n\t\u0001", { "ключ": "значение" }));
await step("emitter_numbers", () => emitter.emit("num", 0, -1, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769,
  4294967295, 4294967296, -2147483648, -2147483649, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, -(2 ** 60), 1e21, 1.5, -0.25,
  0.1, 3.141592653589793, 1e-7, 123456.789, 5e-324, 1.7976931348623157e308, NaN, Infinity));
await step("emitter_null", () => emitter.emit("nul", null, [null], { n: null, u: undefined }));
await step("emitter_date", () => emitter.emit("date", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), new Date(0)));
await step("emitter_big_binary", () => emitter.emit("bigbin", Buffer.alloc(70000, 7), "x".repeat(300), "y".repeat(70000)));
await step("emitter_many_args", () => emitter.emit("many", ...Array.from({ length: 20 }, (_, i) => i)));
await step("emitter_socketsJoin", () => emitter.in("room1").except("room2").socketsJoin(["j1", "j2"]));
await step("emitter_socketsLeave", () => emitter.in("room1").socketsLeave("j1"));
await step("emitter_disconnectSockets", () => emitter.in("room1").disconnectSockets(true));
await step("emitter_serverSideEmit", () => emitter.serverSideEmit("hello", "world", 1));

// --- two socket.io servers with the redis adapter ----------------------------
async function makeServer() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
  io.of("/admin"); // its adapter subscribes too
  await new Promise((r) => httpServer.listen(0, "127.0.0.1", r));
  return { io, pub, sub, httpServer, port: httpServer.address().port };
}
const A = await makeServer();
const B = await makeServer();
await sleep(200);

B.io.on("connection", (socket) => {
  socket.data = { user: "alice", n: 1 };
  socket.join(["room1", "room2"]);
});
B.io.on("hello", (arg, cb) => { if (typeof cb === "function") cb({ from: "B", arg }); });
const client = ioClient(`http://127.0.0.1:${B.port}`, {
  transports: ["websocket"], query: { q: "1" }, auth: { token: "t" }, extraHeaders: { "x-test": "yes" },
});
client.on("ask", (a, cb) => cb({ answer: a, buf: Buffer.from([9, 8]) }));
await new Promise((resolve, reject) => { client.on("connect", resolve); client.on("connect_error", reject); });
await sleep(200);
label = "node_setup_done";

await step("node_emit_all", () => A.io.emit("ev", 1, { a: [true, null] }, Buffer.from([0xff, 0x00])));
await step("node_emit_room", () => A.io.to("room1").emit("ev", "to room1"));
await step("node_emit_rooms_except", () => A.io.to(["room1", "room2"]).except("room3").volatile.compress(false).emit("ev", 2));
await step("node_emit_admin", () => A.io.of("/admin").emit("ev", "admin"));
await step("node_socketsJoin", () => A.io.in("room1").socketsJoin("j1"));
await step("node_socketsLeave", () => A.io.in("room1").except("j2").socketsLeave(["j1", "j3"]));
await step("node_fetchSockets", async () => {
  const sockets = await A.io.in("room1").fetchSockets();
  if (sockets.length !== 1) throw new Error("fetchSockets saw " + sockets.length);
});
await step("node_serverSideEmit", () => A.io.serverSideEmit("hello", "no ack"));
await step("node_serverSideEmit_ack", async () => {
  const responses = await A.io.serverSideEmitWithAck("hello", "with ack");
  if (responses.length !== 1) throw new Error("serverSideEmitWithAck saw " + responses.length);
});
await step("node_emit_ack", async () => {
  const responses = await A.io.timeout(2000).emitWithAck("ask", "q?");
  if (responses.length !== 1) throw new Error("emitWithAck saw " + responses.length);
});
await step("node_emit_ack_room", async () => {
  const responses = await A.io.to("room2").timeout(2000).emitWithAck("ask", { k: Buffer.from([1]) });
  if (responses.length !== 1) throw new Error("emitWithAck (room) saw " + responses.length);
});
await step("node_allRooms", async () => { await A.io.of("/").adapter.allRooms(); });
await step("node_sockets", async () => { await A.io.of("/").adapter.sockets(new Set(["room1"])); });
await step("node_disconnectSockets", () => A.io.in("room2").disconnectSockets(true), 300);
await step("node_serverCount", async () => {
  const n = await A.io.of("/").adapter.serverCount();
  records.push({ label: "node_serverCount", channel: "", base64: "", numsub: Number(n) });
});

client.close();
for (const s of [A, B]) {
  s.io.close();
  await Promise.allSettled([s.pub.quit(), s.sub.quit()]);
}
await Promise.allSettled([recorder.quit(), emitterClient.quit()]);
clearTimeout(hardStop);

writeFileSync(outPath, JSON.stringify({
  generated_by: "tests/unit/adapter/gen_fixtures.mjs",
  versions: {
    "socket.io": require("socket.io/package.json").version,
    "@socket.io/redis-adapter": require("@socket.io/redis-adapter/package.json").version,
    "@socket.io/redis-emitter": require("@socket.io/redis-emitter/package.json").version,
    "notepack.io": require("notepack.io/package.json").version,
    redis: require("redis/package.json").version,
  },
  key,
  records,
}, null, 1) + "\n");
console.log(`${records.length} records -> ${outPath}`);
process.exit(0);
