/**
 * Where a process's resident memory is, from /proc/<pid>/smaps, split by mapping the way
 * docs/decisions/0001-heap-flags.md splits it: files (nearly all the node binary), glibc's
 * per-thread malloc arenas (anonymous mappings on a 64 MiB boundary), [heap] (the main arena),
 * executable anonymous pages (V8's code), and the rest (V8's heap pages and other anonymous memory).
 *
 *   node --no-warnings bench/repro/smaps.ts <pid>
 *
 * Node 24 runs this TypeScript file as it is. For the service under load, run it against the
 * pid that bench/repro/gc-per-request.ts prints, while that loads it (SMAPS=1 there does it for you).
 */
import * as fs from 'node:fs';

const ARENA_ALIGN = 64n * 1024n * 1024n;

export function smapsBreakdown(pid: number): Record<string, number> {
  const kib: Record<string, number> = { files: 0, 'thread arenas': 0, '[heap]': 0, code: 0, 'other anonymous': 0 };
  let kind = 'other anonymous';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const [, start, perms, name] = mapping;
      if (name === '[heap]') kind = '[heap]';
      else if (name.startsWith('/')) kind = 'files';
      else if (name) kind = 'other anonymous';
      else if (perms.includes('x')) kind = 'code';
      else if (BigInt(`0x${start}`) % ARENA_ALIGN === 0n) kind = 'thread arenas';
      else kind = 'other anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kib[kind] += Number(rss[1]);
  }
  return kib;
}

const pid = Number(process.argv[2]);
if (process.argv[1]?.endsWith('smaps.ts') && pid) {
  const kib = smapsBreakdown(pid);
  const total = Object.values(kib).reduce((a, b) => a + b, 0);
  for (const [kind, value] of Object.entries(kib)) console.log(`${(value / 1024).toFixed(1)} MiB\t${kind}`);
  console.log(`${(total / 1024).toFixed(1)} MiB\tin all`);
}
