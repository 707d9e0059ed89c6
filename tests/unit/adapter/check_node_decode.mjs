// tests/unit/adapter/check_node_decode.mjs (meson test adapter-node-decode):
//   node check_node_decode.mjs path/to/adapter-samples
// Runs adapter-samples, decodes each of our msgpack messages with the real
// notepack.io (as @socket.io/redis-adapter does) and, for broadcasts,
// encodes the packet with the real socket.io-parser as a Node peer would
// for its clients: the frames must be ours (the JSON compared parsed, the
// rest byte for byte), the opts and uid too.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { isDeepStrictEqual } from "node:util";

const require = createRequire(import.meta.url);
const notepack = require("notepack.io");
const { Encoder } = require("socket.io-parser");

const samples = JSON.parse(execFileSync(process.argv[2], { maxBuffer: 64 << 20 }).toString());
let failures = 0;
const fail = (name, what, got, want) => {
  failures++;
  console.error(`FAIL ${name}: ${what}\n  got:  ${JSON.stringify(got)?.slice(0, 400)}\n  want: ${JSON.stringify(want)?.slice(0, 400)}`);
};
const withBins = (v) => JSON.parse(JSON.stringify(v, (k, x) =>
  x && x.type === "Buffer" && Array.isArray(x.data) ? { $bin: Buffer.from(x.data).toString("base64") } : x));

function compareFrames(name, got, want) {
  if (got.length !== want.length)
    return fail(name, "frame count", got.length, want.length);
  got.forEach((g, k) => {
    const w = Buffer.from(want[k].base64, "base64");
    if (typeof g !== "string") {
      if (!want[k].binary || !Buffer.from(g).equals(w)) fail(name, `binary frame ${k}`, Buffer.from(g).toString("base64"), want[k].base64);
      return;
    }
    const text = "4" + g, wtext = w.toString();
    const cut = (s) => { const i = s.search(/[[{]/); return [s.slice(0, i), JSON.parse(s.slice(i))]; };
    const [gh, gj] = cut(text), [wh, wj] = cut(wtext);
    if (gh !== wh) fail(name, "frame header", gh, wh);
    if (!isDeepStrictEqual(gj, wj)) fail(name, "frame JSON", gj, wj);
  });
}

for (const s of samples) {
  let decoded;
  try {
    decoded = notepack.decode(Buffer.from(s.msgpack, "base64"));
  } catch (e) {
    fail(s.name, "notepack.decode threw", String(e), "a value");
    continue;
  }
  if (s.kind === "broadcast_ack") {
    if (!isDeepStrictEqual(withBins(decoded), s.expect)) fail(s.name, "decoded ack", withBins(decoded), s.expect);
    if (s.expect.packet === undefined && "packet" in decoded) fail(s.name, "packet present", decoded.packet, undefined);
    continue;
  }
  let uid, packet, opts;
  if (s.kind === "broadcast") {
    if (!Array.isArray(decoded) || decoded.length !== 3) { fail(s.name, "shape", decoded, "[uid, packet, opts]"); continue; }
    [uid, packet, opts] = decoded;
  } else {
    ({ uid, packet, opts } = decoded);
    if (decoded.type !== 7 || decoded.requestId !== s.requestId) fail(s.name, "type/requestId", decoded, s.requestId);
  }
  if (uid !== s.uid) fail(s.name, "uid", uid, s.uid);
  if (packet.type !== 2) fail(s.name, "packet.type", packet.type, 2);
  if (!isDeepStrictEqual(opts, s.opts)) fail(s.name, "opts", opts, s.opts);
  compareFrames(s.name, new Encoder().encode(packet), s.frames);
}
console.log(`${samples.length} samples, ${failures} failures`);
process.exit(failures ? 1 : 0);
