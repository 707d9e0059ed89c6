// bench/http-loop.mjs
// Measures an HTTP upstream alone: C keep-alive connections POST the same
// webhook body in a closed loop for MS milliseconds; prints one JSON line
// {"reqs","secs","p50","p99","cpu_ms"} (latencies in microseconds).
//
//   node bench/http-loop.mjs PORT C MS
import http from 'node:http';

const [port, conc, ms] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
const body = '420["e",1,"hello"]';
const lat = [];
let reqs = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + ms;

function one() {
  return new Promise((resolve) => {
    const s = performance.now();
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/bench/message', agent,
      headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body),
                 'ce-type': 'azure.webpubsub.user.message', 'ce-eventName': 'message' },
    }, (res) => {
      res.resume();
      res.on('end', () => { reqs++; lat.push((performance.now() - s) * 1000); resolve(); });
    });
    req.on('error', () => resolve());
    req.end(body);
  });
}
async function worker() { while (performance.now() < end) await one(); }
await Promise.all(Array.from({ length: conc }, worker));
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? -1);
const c = process.cpuUsage(cpu0);
console.log(JSON.stringify({ reqs, secs, p50: pct(0.5), p99: pct(0.99), cpu_ms: Math.round((c.user + c.system) / 1000) }));
agent.destroy();
