/**
 * What one endpoint's requests leave to the old generation in the service, from V8's own trace
 * (docs/decisions/0002-in-flight-list.md, 0008-pg-callback-query.md): bytes promoted and allocated
 * per request, summed over every scavenge, mark-compacts, and the service's CPU per request.
 *
 *   npm run build   # in each checkout to compare
 *   LAB_URL=… npx ts-node -T bench/repro/gc-per-request.ts '/books?limit=20' [connections 16] [seconds 6] [checkout .]
 *
 * Starts <checkout>/dist/main.js as the bench does, with its config.nodeFlags and --trace-gc-nvp,
 * on LAB_URL's database (migrated there; any table of books, e.g. the one
 * bench/repro/pgbench/README.md seeds), warms it up for 5 s, then loads the path with autocannon
 * and counts only what V8 printed in that window. `/books/:id` takes the first book's id.
 * SMAPS=1 adds where its memory is once the load ends (smaps.ts).
 */
import autocannon from 'autocannon';
import * as path from 'node:path';
import { nodeFlags } from '../../src/lib/node-flags';
import { request } from '../lib/net';
import { cpuMicros, rssBytes } from '../lib/proc';
import { startService } from '../lib/servers';
import { smapsBreakdown } from './smaps';

async function load(url: string, connections: number, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections, duration: seconds });
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
}

async function main(): Promise<void> {
  const [target = '/books?limit=20', connections = '16', seconds = '6', checkout = '.'] = process.argv.slice(2);
  const appDir = path.resolve(checkout);
  let counting = false;
  let partial = '';
  const window = { promoted: 0, allocated: 0, scavenges: 0, markCompacts: 0 };
  const onLine = (line: string) => {
    const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    if (!counting || !line.includes(' gc=')) return;
    if (/ gc=s\b/.test(line)) {
      window.scavenges++;
      window.promoted += field('promoted');
      window.allocated += field('allocated');
    } else if (/ gc=mc\b/.test(line)) window.markCompacts++;
  };
  const service = await startService({
    appDir,
    databaseUrl: new URL(process.env.LAB_URL ?? ''),
    nodeFlags: [...nodeFlags(appDir), '--trace-gc-nvp'],
    onOutput: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    },
  });
  try {
    let url = `${service.baseUrl}${target}`;
    if (target.includes(':id')) {
      const page = await request(`${service.baseUrl}/books?limit=1`, { timeoutMs: 5000 });
      const { data } = JSON.parse(page.body) as { data: { id: string }[] };
      url = `${service.baseUrl}${target.replace(':id', data[0].id)}`;
    }
    await load(url, Number(connections), 5);
    counting = true;
    const cpu = cpuMicros(service.pid);
    const requests = await load(url, Number(connections), Number(seconds));
    const cpuPerRequest = (cpuMicros(service.pid) - cpu) / requests;
    const rss = `RSS ${(rssBytes(service.pid) / 2 ** 20).toFixed(0)} MiB`;
    const smaps = process.env.SMAPS ? smapsBreakdown(service.pid) : undefined;
    // Let the last lines of the window arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    counting = false;
    console.log(
      `${target}: ${requests} requests in ${seconds} s, promoted ${(window.promoted / requests).toFixed(0)} B/request, ` +
        `allocated ${(window.allocated / requests / 1024).toFixed(1)} KB/request, ${window.scavenges} scavenges, ` +
        `${window.markCompacts} mark-compacts, CPU ${cpuPerRequest.toFixed(0)} µs/request, ${rss}`,
    );
    for (const [kind, kib] of Object.entries(smaps ?? {})) console.log(`  ${(kib / 1024).toFixed(1)} MiB\t${kind}`);
  } finally {
    await service.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
