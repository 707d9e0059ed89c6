// Prints config.json with other ports: the service's listen port and
// publicEndpoint, and the upstream port in every urlTemplate (same hub, key
// and handlers). Used by run.sh here and by examples/custom-pipeline/run.sh.
//   node config-for-ports.mjs SERVICE_PORT UPSTREAM_PORT > config.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [sp, up] = process.argv.slice(2).map(Number);
if (![sp, up].every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
  console.error('usage: node config-for-ports.mjs SERVICE_PORT UPSTREAM_PORT (1-65535)');
  process.exit(2);
}
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'config.json');
const c = JSON.parse(fs.readFileSync(file, 'utf8'));
c.listen.port = sp;
c.publicEndpoint = `http://127.0.0.1:${sp}`;
for (const h of c.hubs.chat.eventHandlers) h.urlTemplate = h.urlTemplate.replace(':7071/', `:${up}/`);
process.stdout.write(JSON.stringify(c, null, 2) + '\n');
