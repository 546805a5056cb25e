import type { Endpoint, Measurement } from './load';
import { ENDPOINT_LABELS } from './load';
import type { BenchOptions } from './options';
import { outageTargets, renderOutage, type OutageReport } from './outage-report';
import type { MachineInfo } from './proc';
import type { WatchRestarts } from './watch-restart';
import { PAGE_ONE } from './scale-cases';

export interface ScaleCase {
  name: string;
  path: string;
  rows: number;
  /** One run per round; page 1's holds every page 1 run at this size. */
  runs?: Measurement[];
  /** p50 of the page 1 run beside each of `runs` (same round, back to back). */
  pageOneP50Ms?: number[];
  /** The single run of results.json files written before the scale step ran in rounds. */
  measurement?: Measurement;
  /** Why the case was not run (for example: the service has no cursor pagination). */
  skipped?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt?: string;
  command: string;
  commit: string;
  machine: MachineInfo;
  loadAverage: { start: number[]; end?: number[] };
  postgres: string;
  options: BenchOptions;
  /** Spawn to 200 on /health/ready; baselineMs are the baseline server's starts interleaved with the service's. */
  startup: {
    existingMs: number[];
    /** Existing database, empty NODE_COMPILE_CACHE: a new container with the image's primed code cache. */
    newContainerMs?: number[];
    freshMs: number[];
    baselineMs: number[];
    baselineAppMs?: number[];
  };
  watch?: WatchRestarts;
  rssIdleMiB: { service: number; baseline: number };
  runs: Measurement[];
  scale: ScaleCase[];
  /** Set when the scale section comes from a later `--scale-only` run than the rest. */
  scaleRun?: { command: string; commit: string; startedAt: string; postgres: string };
  profile?: string;
  /** The outage scenario (bench/outage.ts), possibly from a later `--outage` run. */
  outage?: OutageReport;
}

export interface EndpointSummary {
  endpoint: Endpoint;
  label: string;
  service: Side;
  baseline: Side;
  /** The baseline without BEGIN … COMMIT around writes (write endpoints, max rate only). */
  autocommit?: Side;
  rpsRatio: number;
  /** Service req/s over the baseline's in each round (the two ran back to back): the spread of rpsRatio. */
  rpsRoundRatios: number[];
  cpuRatio: number;
  fixedRate?: number;
  fixedP99Ratio?: number;
  /** KB allocated per request by each server (the allocation runs), when they ran. */
  allocKB?: { service: number; baseline: number };
}

interface Side {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  dbCpuUs?: number;
  errors: number;
  non2xx: number;
  fixedP50?: number;
  fixedP99?: number;
  rssMaxMiB: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function side(runs: Measurement[], fixed: Measurement[]): Side {
  const db = runs.map((r) => r.dbCpuUsPerRequest ?? NaN);
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.latencyMs.p50)),
    p99: median(runs.map((r) => r.latencyMs.p99)),
    cpuUs: median(runs.map((r) => r.cpuUsPerRequest)),
    dbCpuUs: db.some(Number.isFinite) ? median(db) : undefined,
    errors: [...runs, ...fixed].reduce((sum, r) => sum + r.errors, 0),
    non2xx: [...runs, ...fixed].reduce((sum, r) => sum + r.non2xx, 0),
    fixedP50: fixed.length ? median(fixed.map((r) => r.latencyMs.p50)) : undefined,
    fixedP99: fixed.length ? median(fixed.map((r) => r.latencyMs.p99)) : undefined,
    rssMaxMiB: Math.max(...[...runs, ...fixed].map((r) => r.rssMaxMiB)),
  };
}

/** Medians over the measured rounds (round 0, the warm-up, is left out). */
export function summarise(report: BenchReport): EndpointSummary[] {
  if (!report.options.load) return [];
  return report.options.endpoints.map((endpoint) => {
    const pick = (server: string, mode: string) =>
      report.runs.filter((r) => r.endpoint === endpoint && r.server === server && r.mode === mode && r.round > 0);
    const service = side(pick('service', 'max'), pick('service', 'fixed'));
    const baseline = side(pick('baseline', 'max'), pick('baseline', 'fixed'));
    const autocommitRuns = pick('baseline-autocommit', 'max');
    const fixed = pick('service', 'fixed')[0];
    const allocOf = (server: string) =>
      report.runs.find((r) => r.endpoint === endpoint && r.server === server && r.mode === 'alloc')?.allocKBPerRequest;
    const [allocService, allocBaseline] = [allocOf('service'), allocOf('baseline')];
    return {
      endpoint,
      label: ENDPOINT_LABELS[endpoint],
      service,
      baseline,
      autocommit: autocommitRuns.length ? side(autocommitRuns, []) : undefined,
      rpsRatio: service.rps / baseline.rps,
      rpsRoundRatios: roundRatios(pick('service', 'max'), pick('baseline', 'max')),
      cpuRatio: service.cpuUs / baseline.cpuUs,
      fixedRate: fixed?.offeredRate,
      fixedP99Ratio:
        service.fixedP99 !== undefined && baseline.fixedP99 !== undefined
          ? service.fixedP99 / baseline.fixedP99
          : undefined,
      allocKB:
        allocService !== undefined && allocBaseline !== undefined
          ? { service: allocService, baseline: allocBaseline }
          : undefined,
    };
  });
}

/** Per round, service req/s over baseline req/s, in round order. */
function roundRatios(service: Measurement[], baseline: Measurement[]): number[] {
  return service.flatMap((s) => {
    const b = baseline.find((r) => r.round === s.round);
    return b ? [s.rps / b.rps] : [];
  });
}

/**
 * The round ratios' geometric mean and a 90 % bootstrap interval of it (2,000 resamples from a
 * fixed seed, so a re-render gives the same figures), or undefined with fewer than three rounds.
 * Each round pairs the two servers back to back, so the machine's drift between rounds cancels.
 */
export function pairedInterval(ratios: number[]): { mean: number; low: number; high: number } | undefined {
  if (ratios.length < 3) return undefined;
  const logs = ratios.map(Math.log);
  const meanOf = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  let seed = 0x9e3779b9;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const means = Array.from({ length: 2000 }, () =>
    meanOf(logs.map(() => logs[Math.floor(random() * logs.length)])),
  ).sort((a, b) => a - b);
  return { mean: Math.exp(meanOf(logs)), low: Math.exp(means[100]), high: Math.exp(means[1899]) };
}

function fmtInterval(ratios: number[]): string {
  const interval = pairedInterval(ratios);
  return interval ? `${fmt(interval.mean, 2)}x [${fmt(interval.low, 2)}, ${fmt(interval.high, 2)}]` : '–';
}

/** `lo–hi` of the round ratios, or '' with fewer than two rounds. */
export function roundRange(ratios: number[]): string {
  if (ratios.length < 2) return '';
  return `${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}x`;
}

/** A scale case's figures at one size: medians over its rounds, and its ratio to page 1. */
export interface ScaleFigures {
  p50: number;
  p99: number;
  non2xx: number;
  /** The median of the per-round ratios of p50s (page 1 ran beside the case in each round). */
  vsPageOne: number;
  vsPageOneRounds: number[];
}

export function scaleFigures(c: ScaleCase | undefined, scale: ScaleCase[]): ScaleFigures | undefined {
  const runs = c?.runs ?? (c?.measurement ? [c.measurement] : []);
  if (!c || !runs.length) return undefined;
  const p50 = median(runs.map((r) => r.latencyMs.p50));
  const paired = c.name !== PAGE_ONE && c.pageOneP50Ms?.length === runs.length;
  const rounds = paired ? runs.map((r, i) => r.latencyMs.p50 / c.pageOneP50Ms![i]) : [];
  // Results from before the rounds hold one run of page 1, measured apart from the case.
  const pageOne = scale.find((p) => p.name === PAGE_ONE && p.rows === c.rows);
  const pageOneP50 = pageOne?.measurement?.latencyMs.p50 ?? NaN;
  return {
    p50,
    p99: median(runs.map((r) => r.latencyMs.p99)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    vsPageOne: c.name === PAGE_ONE ? 1 : paired ? median(rounds) : p50 / pageOneP50,
    vsPageOneRounds: rounds,
  };
}

export function scalePairs(report: BenchReport): {
  name: string;
  small?: ScaleCase;
  large?: ScaleCase;
  smallFigures?: ScaleFigures;
  largeFigures?: ScaleFigures;
  ratio: number;
}[] {
  const sizes = [...new Set(report.scale.map((c) => c.rows))].sort((a, b) => a - b);
  const names = [...new Set(report.scale.map((c) => c.name))];
  return names.map((name) => {
    const small = report.scale.find((c) => c.name === name && c.rows === sizes[0]);
    const large = sizes.length > 1 ? report.scale.find((c) => c.name === name && c.rows === sizes[1]) : undefined;
    const [smallFigures, largeFigures] = [scaleFigures(small, report.scale), scaleFigures(large, report.scale)];
    // The sizes run minutes apart, so their rounds do not pair: the ratio is of the medians over the rounds.
    const ratio = (largeFigures?.p50 ?? NaN) / (smallFigures?.p50 ?? NaN);
    return { name, small, large, smallFigures, largeFigures, ratio };
  });
}

/** How the scale cases were measured, read from their runs. */
function scaleMethod(report: BenchReport): string {
  const runs = report.scale.filter((c) => c.name !== PAGE_ONE).map((c) => c.runs ?? []);
  const rounds = Math.max(0, ...runs.map((r) => r.length));
  const seconds = median(runs.flat().map((r) => r.durationS));
  if (!rounds)
    return `Each case ran once, for ${fmt(report.options.latencyS, 1)} s on one connection, apart from page 1.`;
  return (
    `Each case ran in ${rounds} round(s) of ${fmt(seconds, 1)} s on one connection, each round beside a run of page 1 ` +
    '(back to back, who goes first alternating). p50 and p99 are medians over the rounds; "vs page 1" is the median ' +
    'of the per-round ratios of p50s, with their range; the p50 ratio between sizes is of the medians.'
  );
}

/** The scale target (docs/performance.md): at the largest size, every case's p50 within 3x that of page 1. */
function pageOneBound(report: BenchReport): Target[] {
  const largest = Math.max(...report.scale.map((c) => c.rows));
  const at = report.scale.filter((c) => c.rows === largest);
  const pageOne = scaleFigures(
    at.find((c) => c.name === PAGE_ONE),
    report.scale,
  );
  if (!pageOne || at.length < 2) return [];
  return at.flatMap((c) => {
    const f = c.name === PAGE_ONE ? undefined : scaleFigures(c, report.scale);
    if (!f) return [];
    const range = roundRange(f.vsPageOneRounds);
    return [
      {
        name: `GET /books ${c.name}: p50 vs page 1 at ${count(largest)} rows`,
        goal: '<= 3x',
        measured: `${fmt(f.vsPageOne, 2)}x (${range ? `rounds ${range}; ` : ''}${fmt(f.p50, 2)} vs ${fmt(pageOne.p50, 2)} ms)`,
        met: f.vsPageOne <= 3,
      },
    ];
  });
}

export function evaluateTargets(report: BenchReport): Target[] {
  const summaries = summarise(report);
  const targets: Target[] = [];
  // With --auth the baseline is the same build with AUTH_DISABLED=true, so the target is on CPU
  // (docs/decisions/0024-token-cache-key.md).
  for (const s of report.options.auth ? summaries : []) {
    targets.push({
      name: `Access control: ${s.label} CPU per request with a bearer token vs AUTH_DISABLED=true`,
      goal: '<= 1.05x',
      measured: `${fmt(s.cpuRatio, 2)}x (${fmt(s.service.cpuUs, 0)} vs ${fmt(s.baseline.cpuUs, 0)} µs)`,
      met: s.cpuRatio <= 1.05,
    });
  }
  for (const s of summaries) {
    // The baseline has no idempotency keys: the keyed POST is judged against the service's own POST below.
    if (s.endpoint === 'create-keyed') continue;
    const goal = s.endpoint === 'get-id' ? 0.8 : 0.75;
    targets.push({
      name: `${s.label} req/s vs baseline`,
      goal: `>= ${goal}x`,
      measured: `${fmt(s.rpsRatio, 2)}x (${roundRange(s.rpsRoundRatios) ? `rounds ${roundRange(s.rpsRoundRatios)}; ` : ''}CPU/request ${fmt(s.cpuRatio, 2)}x)`,
      met: s.rpsRatio >= goal,
    });
  }
  for (const s of summaries) {
    if (s.fixedP99Ratio === undefined) continue;
    targets.push({
      name: `${s.label} p99 at ${fmt(s.fixedRate ?? NaN, 0)} req/s offered`,
      goal: '<= 1.5x',
      measured: `${fmt(s.fixedP99Ratio, 2)}x (${fmt(s.service.fixedP99 ?? NaN, 2)} vs ${fmt(s.baseline.fixedP99 ?? NaN, 2)} ms)`,
      met: s.fixedP99Ratio <= 1.5,
    });
  }
  const keyed = keyedWriteTarget(report);
  if (keyed) targets.push(keyed);
  targets.push(...pageOneBound(report));
  for (const pair of scalePairs(report)) {
    if (!pair.large) continue;
    targets.push({
      name: `GET /books ${pair.name}: p50 at ${count(pair.large.rows)} vs ${count(pair.small?.rows ?? NaN)} rows`,
      goal: '<= 2x',
      measured: `${fmt(pair.ratio, 2)}x`,
      met: pair.ratio <= 2,
    });
  }
  const startup = report.startup;
  const baselineStart = `baseline ${fmt(median(startup.baselineMs), 0)} ms`;
  for (const [name, runs, goal] of [
    ['Production start to ready, existing database', startup.existingMs, 600],
    ['Production start to ready, fresh database (create + migrate)', startup.freshMs, 1000],
  ] as const) {
    if (!runs.length) continue;
    targets.push({
      name,
      goal: `<= ${goal} ms`,
      measured: `${fmt(median(runs), 0)} ms (median of ${runs.length}; ${baselineStart}, ${fmt(median(runs) / median(startup.baselineMs), 1)}x)`,
      met: median(runs) <= goal,
    });
  }
  if (report.watch?.serviceMs.length) {
    const { serviceMs, baselineMs } = report.watch;
    targets.push({
      name: 'Watch mode: save to ready (npm run start:dev)',
      goal: '<= 1000 ms',
      measured: `${fmt(median(serviceMs), 0)} ms (median of ${serviceMs.length}; node --watch baseline ${fmt(median(baselineMs), 0)} ms)`,
      met: median(serviceMs) <= 1000,
    });
  }
  if (summaries.length) {
    const rss = Math.max(...summaries.map((s) => s.service.rssMaxMiB));
    targets.push({
      name: 'Service RSS under load',
      goal: '<= 150 MiB',
      measured: `${fmt(rss, 0)} MiB`,
      met: rss <= 150,
    });
  }
  targets.push(...outageTargets(report.outage));
  return targets;
}

/**
 * POST /books with a fresh Idempotency-Key against POST /books without one, both on the service
 * in the same rounds: the ratio of req/s per round, and what the key's row adds per request in
 * service CPU and PostgreSQL CPU (medians over the rounds).
 */
export function keyedWriteTarget(report: BenchReport): Target | undefined {
  const runs = (endpoint: Endpoint) =>
    report.runs.filter((r) => r.endpoint === endpoint && r.server === 'service' && r.mode === 'max' && r.round > 0);
  const [keyed, plain] = [runs('create-keyed'), runs('create')];
  const ratios = roundRatios(keyed, plain);
  if (!ratios.length) return undefined;
  const mean = Math.exp(ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length);
  const interval = pairedInterval(ratios);
  const extra = (pick: (m: Measurement) => number | undefined) =>
    median(keyed.map((m) => pick(m) ?? NaN)) - median(plain.map((m) => pick(m) ?? NaN));
  return {
    name: 'POST /books with Idempotency-Key vs without (service, same rounds)',
    goal: '>= 0.85x',
    measured:
      `${interval ? fmtInterval(ratios) : `${fmt(mean, 2)}x`}${roundRange(ratios) ? ` (rounds ${roundRange(ratios)})` : ''}; ` +
      `the key's row costs ${fmt(
        extra((m) => m.cpuUsPerRequest),
        0,
      )} µs service CPU and ` +
      `${fmt(
        extra((m) => m.dbCpuUsPerRequest),
        0,
      )} µs PostgreSQL CPU per request`,
    met: mean >= 0.85,
  };
}

export function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function count(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a';
}

export function renderMarkdown(report: BenchReport): string {
  const o = report.options;
  const summaries = summarise(report);
  const lines: string[] = [];
  const row = (...cells: (string | number)[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(
    `# Benchmark results${o.smoke ? ' (smoke run: numbers mean nothing)' : ''}`,
    '',
    'Generated by `bench/run.ts` (re-render with `npx ts-node -T bench/render.ts`); do not edit by hand. ' +
      'Method: [README.md](README.md). What the targets are and why the service is built as it is, with the ' +
      'figures behind each choice: [docs/performance.md](../docs/performance.md) and ' +
      '[docs/decisions/](../docs/decisions/README.md).',
    '',
    `- Command: \`${report.command}\``,
    `- Commit: ${report.commit}; started ${report.startedAt}, finished ${report.finishedAt ?? 'n/a'}`,
    `- Machine: ${report.machine.nproc} CPUs (${report.machine.cpuModel}), ${report.machine.memoryGiB} GiB RAM, ${report.machine.kernel}, Node ${report.machine.node}`,
    `- Load average (1/5/15 min): ${report.loadAverage.start.join(' / ')} at start, ${report.loadAverage.end?.join(' / ') ?? 'n/a'} at end (the machine is shared)`,
    `- Baseline: ${
      o.baselineApp
        ? `**another service build**, \`node ${(o.baselineNodeFlags ?? []).map((f) => `${f} `).join('')}${o.baselineApp}/dist/main.js\`${Object.entries(
            o.baselineEnv,
          )
            .map(([k, v]) => ` ${k}=${v}`)
            .join('')}`
        : '`bench/baseline-server.ts` (node:http + pg) doing the same SQL work as the service: writes in `BEGIN … COMMIT`, the same statements prepared. A second copy with autocommit writes prices the transaction (see below)'
    }`,
    `- Database: ${report.postgres}; ${count(o.rows)} books seeded; pool of ${o.poolMax} connections on both servers`,
    `- Load: autocannon, ${o.connections} connections, ${o.rounds} interleaved round(s) of ${o.durationS} s per endpoint and server after a ${o.warmupS} s warm-up; equal-load runs of ${o.fixedDurationS} s at ${o.fixedFraction}x the slower server's warm-up rate`,
    `- Service: \`node ${(o.nodeFlags ?? []).map((f) => `${f} `).join('')}${o.appDir === process.cwd() ? '' : `${o.appDir}/`}dist/main.js\`${Object.entries(
      o.serviceEnv,
    )
      .map(([k, v]) => ` ${k}=${v}`)
      .join(
        '',
      )}, NODE_ENV=production, DB_SCHEMA_MODE=migrate, THROTTLE_ENABLED=false, LOG_LEVEL=warn${o.profile ? ', under --cpu-prof (slower)' : ''}`,
    '',
    '## Targets',
    '',
  );
  row('Target', 'Goal', 'Measured', 'Met');
  row('---', '---', '---', '---');
  for (const t of evaluateTargets(report)) row(t.name, t.goal, t.measured, t.met ? 'yes' : '**no**');
  lines.push(
    '',
    '## Throughput (as fast as each server answers, same connections)',
    '',
    'Medians over the rounds; "Rounds" is the range of the per-round req/s ratios (the two servers ran back to back in each round), the spread the ratio is read against, and "Paired" their geometric mean with a 90 % bootstrap interval (from three rounds). CPU is the server process (user + system) per completed request, from /proc/<pid>/stat; DB CPU is PostgreSQL (postmaster + backends) per request.',
    '',
  );
  row(
    'Endpoint',
    'Service req/s',
    'Baseline req/s',
    'Ratio',
    'Rounds',
    'Paired',
    'p50 ms (svc / base)',
    'p99 ms (svc / base)',
    'CPU µs/req (svc / base)',
    'CPU ratio',
    'DB CPU µs/req (svc / base)',
    'Errors (svc / base)',
    'Non-2xx (svc / base)',
  );
  row('---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:');
  for (const s of summaries) {
    row(
      s.label,
      fmt(s.service.rps, 0),
      fmt(s.baseline.rps, 0),
      `${fmt(s.rpsRatio, 2)}x`,
      roundRange(s.rpsRoundRatios) || '–',
      fmtInterval(s.rpsRoundRatios),
      `${fmt(s.service.p50, 2)} / ${fmt(s.baseline.p50, 2)}`,
      `${fmt(s.service.p99, 2)} / ${fmt(s.baseline.p99, 2)}`,
      `${fmt(s.service.cpuUs, 0)} / ${fmt(s.baseline.cpuUs, 0)}`,
      `${fmt(s.cpuRatio, 2)}x`,
      `${fmt(s.service.dbCpuUs ?? NaN, 0)} / ${fmt(s.baseline.dbCpuUs ?? NaN, 0)}`,
      `${s.service.errors} / ${s.baseline.errors}`,
      `${s.service.non2xx} / ${s.baseline.non2xx}`,
    );
  }
  const priced = summaries.filter((s) => s.autocommit);
  if (priced.length) {
    lines.push(
      '',
      "## Writes: the transaction's cost and the framework's cost",
      '',
      'Max-rate medians. Autocommit: the baseline sending each write as one statement. Same work: the baseline ' +
        'wrapping it in `BEGIN … COMMIT` on one connection, as the service does. The transaction costs ' +
        'autocommit → same work; the framework costs same work → service.',
      '',
    );
    row(
      'Endpoint',
      'Autocommit req/s',
      'Same-work req/s',
      'Service req/s',
      'Transaction (same work / autocommit)',
      'Framework (service / same work)',
      'CPU µs/req (autocommit / same work / service)',
    );
    row('---', '---:', '---:', '---:', '---:', '---:', '---:');
    for (const s of priced) {
      const a = s.autocommit!;
      row(
        s.label,
        fmt(a.rps, 0),
        fmt(s.baseline.rps, 0),
        fmt(s.service.rps, 0),
        `${fmt(s.baseline.rps / a.rps, 2)}x`,
        `${fmt(s.rpsRatio, 2)}x`,
        `${fmt(a.cpuUs, 0)} / ${fmt(s.baseline.cpuUs, 0)} / ${fmt(s.service.cpuUs, 0)}`,
      );
    }
  }
  const allocated = summaries.filter((s) => s.allocKB);
  if (allocated.length) {
    lines.push(
      '',
      '## Heap allocated per request',
      '',
      "From V8's sampling heap profiler over the inspector, on a fresh copy of each server started with " +
        '`--inspect` after the rounds (so the rounds ran without it): a warm-up, then one sampled max-rate run per ' +
        'endpoint. Objects already collected count too. A count, not a timing: it does not move with the ' +
        "machine's load, and the garbage collector's share of CPU (and the heap flags' cost) grows with it.",
      '',
    );
    row('Endpoint', 'Service KB/req', 'Baseline KB/req', 'Ratio');
    row('---', '---:', '---:', '---:');
    for (const s of allocated) {
      const a = s.allocKB!;
      row(s.label, fmt(a.service, 1), fmt(a.baseline, 1), `${fmt(a.service / a.baseline, 2)}x`);
    }
  }
  lines.push('', '## Equal offered load', '');
  row('Endpoint', 'Offered req/s', 'p50 ms (svc / base)', 'p99 ms (svc / base)', 'p99 ratio');
  row('---', '---:', '---:', '---:', '---:');
  for (const s of summaries) {
    row(
      s.label,
      fmt(s.fixedRate ?? NaN, 0),
      `${fmt(s.service.fixedP50 ?? NaN, 2)} / ${fmt(s.baseline.fixedP50 ?? NaN, 2)}`,
      `${fmt(s.service.fixedP99 ?? NaN, 2)} / ${fmt(s.baseline.fixedP99 ?? NaN, 2)}`,
      `${fmt(s.fixedP99Ratio ?? NaN, 2)}x`,
    );
  }
  const pairs = scalePairs(report);
  const sizes = [...new Set(report.scale.map((c) => c.rows))].sort((a, b) => a - b);
  lines.push(
    '',
    '## Scale: GET /books latency by table size (service, 1 connection)',
    '',
    // From the cases themselves: after a --scale-only merge, the options are the earlier run's.
    scaleMethod(report) +
      ' Deep page = the middle of the table. ' +
      'The table is seeded with adversarial distributions for q and search (bench/lib/scale-cases.ts).' +
      (report.scaleRun
        ? ` From a separate run: \`${report.scaleRun.command}\`, commit ${report.scaleRun.commit}, started ${report.scaleRun.startedAt}, ${report.scaleRun.postgres}.`
        : ''),
    '',
  );
  row(
    'Case',
    ...sizes.map((n) => `p50 / p99 ms at ${count(n)} rows`),
    ...sizes.map((n) => `vs page 1 at ${count(n)} (rounds)`),
    ...(sizes.length > 1 ? ['p50 ratio'] : []),
    'Request',
  );
  row('---', ...sizes.map(() => '---:'), ...sizes.map(() => '---:'), ...(sizes.length > 1 ? ['---:'] : []), '---');
  for (const pair of pairs) {
    const cases = sizes.length > 1 ? [pair.small, pair.large] : [pair.small];
    const figures = sizes.length > 1 ? [pair.smallFigures, pair.largeFigures] : [pair.smallFigures];
    const cell = (c: ScaleCase | undefined, f: ScaleFigures | undefined) =>
      f ? `${fmt(f.p50, 2)} / ${fmt(f.p99, 2)}${f.non2xx ? ` (${f.non2xx} non-2xx)` : ''}` : (c?.skipped ?? 'n/a');
    const ratio = (f: ScaleFigures | undefined) => {
      const range = roundRange(f?.vsPageOneRounds ?? []);
      return f ? `${fmt(f.vsPageOne, 2)}x${range ? ` (${range})` : ''}` : 'n/a';
    };
    row(
      pair.name,
      ...cases.map((c, i) => cell(c, figures[i])),
      ...figures.map(ratio),
      ...(sizes.length > 1 ? [`${fmt(pair.ratio, 2)}x`] : []),
      `\`${(pair.large ?? pair.small)?.path ?? ''}\``,
    );
  }
  const existing = report.startup.existingMs;
  const fresh = report.startup.freshMs;
  lines.push('', '## Startup and memory', '');
  row('Measure', 'Value');
  row('---', '---');
  row(
    'Service spawn to 200 on /health/ready, existing database',
    `${fmt(median(existing), 0)} ms (runs: ${existing.map((v) => fmt(v, 0)).join(', ')})`,
  );
  const container = report.startup.newContainerMs;
  if (container?.length)
    row(
      "Service spawn to ready, existing database, a new container (empty NODE_COMPILE_CACHE, the image's primed code cache)",
      `${fmt(median(container), 0)} ms (runs: ${container.map((v) => fmt(v, 0)).join(', ')})`,
    );
  row(
    'Service spawn to ready, fresh database (create + migrate)',
    `${fmt(median(fresh), 0)} ms (runs: ${fresh.map((v) => fmt(v, 0)).join(', ')})`,
  );
  const runsOf = (ms: number[]) => `${fmt(median(ms), 0)} ms (runs: ${ms.map((v) => fmt(v, 0)).join(', ')})`;
  row('Baseline spawn to ready (interleaved with the service starts)', runsOf(report.startup.baselineMs));
  if (report.startup.baselineAppMs?.length)
    row('--baseline-app spawn to ready, existing database', runsOf(report.startup.baselineAppMs));
  if (report.watch?.serviceMs.length) {
    row('Watch mode: save to ready, `npm run start:dev`', runsOf(report.watch.serviceMs));
    row('Watch mode: save to ready, `node --watch` baseline', runsOf(report.watch.baselineMs));
  }
  row(
    'RSS idle after start (service / baseline)',
    `${fmt(report.rssIdleMiB.service, 0)} / ${fmt(report.rssIdleMiB.baseline, 0)} MiB`,
  );
  row(
    'RSS max under load (service / baseline)',
    `${fmt(Math.max(...summaries.map((s) => s.service.rssMaxMiB)), 0)} / ${fmt(Math.max(...summaries.map((s) => s.baseline.rssMaxMiB)), 0)} MiB`,
  );
  lines.push(...renderOutage(report.outage));
  if (report.profile) lines.push('', '## CPU profile of the service', '', report.profile);
  lines.push('', '## Every run', '');
  row(
    'Round',
    'Endpoint',
    'Server',
    'Mode',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'DB µs/req',
    'Non-2xx',
    'Errors',
  );
  row('---:', '---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:');
  for (const r of report.runs) {
    row(
      r.round === 0 ? 'warm-up' : r.round,
      r.endpoint,
      r.server,
      r.mode === 'fixed' ? `fixed ${fmt(r.offeredRate ?? NaN, 0)}/s` : r.mode,
      fmt(r.rps, 0),
      fmt(r.latencyMs.p50, 2),
      fmt(r.latencyMs.p99, 2),
      fmt(r.cpuUsPerRequest, 0),
      fmt(r.dbCpuUsPerRequest ?? NaN, 0),
      r.non2xx,
      r.errors,
    );
  }
  return lines.join('\n') + '\n';
}
