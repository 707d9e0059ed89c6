// bench/webhook-upstream.mjs
// A tiny webhook upstream for scripts/bench: passes the abuse-protection
// OPTIONS handshake and answers every user event `42<id>["ev",...args]` with
// the ack `43<id>[...args]` (connect/connected/disconnected: 200, empty).
//
//   node bench/webhook-upstream.mjs    (prints "listening PORT")
import http from 'node:http';

const srv = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const m = /^42(?:(\/[^,]*),)?(\d+)(\[.*)$/s.exec(body);
    if (!m) {
      res.writeHead(200).end();
      return;
    }
    let args;
    try { args = JSON.parse(m[3]); } catch { args = []; }
    const ack = `43${m[1] ? m[1] + ',' : ''}${m[2]}${JSON.stringify(args.slice(1))}`;
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(ack);
  });
});
srv.keepAliveTimeout = 60000;
srv.listen(0, '127.0.0.1', () => console.log(`listening ${srv.address().port}`));
process.on('SIGTERM', () => process.exit(0));
