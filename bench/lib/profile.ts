import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function comes from: an npm package, a node: module, the app's dist/ file, or V8. */
function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0];
  const app = /\/dist\/(.+)$/.exec(url);
  if (app) return `app: ${app[1]}`;
  return url;
}

/** Self time by package and the hottest functions, as markdown. */
export function summariseProfile(file: string, requests = 0, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const category = categoryOf(url, functionName);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  // Inclusive time: every function on a sample's stack gets the sample once (recursion counted once).
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    return `${functionName || '(anonymous)'} ${where}`.trim();
  };
  const inclusive = new Map<string, number>();
  profile.samples.forEach((leaf, i) => {
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) seen.add(keyOf(id));
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const busy = total - idle;
  const pct = (us: number) =>
    `${((100 * us) / busy).toFixed(1)} %${requests ? ` | ${(us / requests).toFixed(1)}` : ''}`;
  const perRequest = requests ? ' | µs/request' : '';
  const perRequestRule = requests ? ' | ---:' : '';
  const ms = (us: number) => (us / 1000).toFixed(0);
  const lines = [
    `Profile \`${path.basename(file)}\`: ${ms(total)} ms sampled, ${ms(busy)} ms busy (idle left out)` +
      (requests ? `, ${requests} requests served` : '') +
      '. V8 samples wall time, so a syscall such as writev also collects the time the thread waited for a CPU.',
    '',
    `| Package / area (self time) | Self ms | Share of busy${perRequest} |`,
    `| --- | ---: | ---:${perRequestRule} |`,
    ...[...categories]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([name, us]) => `| ${name} | ${ms(us)} | ${pct(us)} |`),
    '',
    `| Hottest functions (self) | Self ms | Share of busy${perRequest} |`,
    `| --- | ---: | ---:${perRequestRule} |`,
    ...[...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${ms(us)} | ${pct(us)} |`),
    '',
    `| Functions by inclusive time (self + callees) | Total ms | Share of busy${perRequest} |`,
    `| --- | ---: | ---:${perRequestRule} |`,
    ...[...inclusive]
      .filter(([name]) => !/^\((root|program|idle|garbage collector)\)/.test(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top * 2)
      .map(([name, us]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${ms(us)} | ${pct(us)} |`),
  ];
  return lines.join('\n');
}

/** The newest .cpuprofile in a folder. */
export function newestProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0];
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: ts-node bench/lib/profile.ts <file.cpuprofile> [requests] [top]');
    process.exit(2);
  }
  console.log(summariseProfile(file, Number(process.argv[3] ?? 0), Number(process.argv[4] ?? 40)));
}
