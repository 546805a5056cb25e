/**
 * The outage scenario: the service on a private PostgreSQL cluster the bench stops, freezes and
 * brings back, and on a streaming standby it freezes, under a steady stream of GET /books/:id.
 * It reports how long each client took to notice each fault and to recover; the bounds the
 * service's settings give are the targets. The node:http + pg baseline runs beside the service on
 * the same cluster, so the table shows what the watchdog buys. `npm run bench -- --outage` runs
 * only this and merges it into the output folder's results.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PG_BIN, PgCluster } from '../scripts/lib/pg-cluster';
import { buildDatabaseConfig } from '../src/config/database.config';
import { buildReplicasConfig } from '../src/config/replicas.config';
import { delay } from '../src/lib/timers';
import { log } from './lib/log';
import { request } from './lib/net';
import { scalar } from './lib/postgres';
import type { BenchOptions } from './lib/options';
import type { OutageKind, OutageReport, OutageSample } from './lib/outage-report';
import { BenchReport, renderMarkdown } from './lib/report';
import { newBookBody } from './lib/seed';
import { startBaseline, startService } from './lib/servers';

const DATABASE = 'bookapi_bench_outage';
/** How long each fault is held: past every bound below, so a late answer still lands in its window. */
const HOLD_MS = 3000;
/** Recovery is waited for this long before the sample counts as "never back". */
const RECOVERY_DEADLINE_MS = 30_000;

interface Answer {
  sentAt: number;
  doneAt: number;
  /** 0: no HTTP answer (refused, reset, timed out). */
  status: number;
  source?: string;
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;

/** `workers` loops sending `path` back to back (10 ms apart), recording every answer. */
class Stream {
  readonly answers: Answer[] = [];
  private stopped = false;
  private readonly done: Promise<void[]>;

  constructor(
    private readonly url: string,
    workers: number,
  ) {
    this.done = Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  /** The earliest answer that arrived at or after `from` and matches. */
  first(from: number, match: (a: Answer) => boolean): Answer | undefined {
    let best: Answer | undefined;
    for (const a of this.answers) if (a.doneAt >= from && match(a) && (!best || a.doneAt < best.doneAt)) best = a;
    return best;
  }

  stop(): Promise<void[]> {
    this.stopped = true;
    return this.done;
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      const sentAt = performance.now();
      const res = await request(this.url, { timeoutMs: 15_000 }).catch(() => undefined);
      const source = res?.headers['x-read-source'];
      this.answers.push({
        sentAt,
        doneAt: performance.now(),
        status: res?.status ?? 0,
        source: typeof source === 'string' ? source : undefined,
      });
      await delay(10);
    }
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`outage bench: ${what} not within ${timeoutMs} ms`);
    await delay(20);
  }
}

/** What one stream saw of one fault, held from `faultAt` to `endAt`. */
function observe(stream: Stream, faultAt: number, endAt: number, detected: (a: Answer) => boolean) {
  const detect = stream.first(faultAt, detected);
  const recover = stream.first(endAt, ok);
  const during = stream.answers.filter((a) => a.sentAt >= faultAt && a.sentAt <= endAt);
  return {
    detectMs: detect && detect.doneAt <= endAt ? detect.doneAt - faultAt : undefined,
    recoverMs: recover ? recover.doneAt - endAt : undefined,
    during,
    slowestMs: Math.max(0, ...during.map((a) => a.doneAt - a.sentAt)),
  };
}

/** Stops (fast shutdown) or freezes the primary for HOLD_MS, brings it back, and waits for both servers to answer 2xx. */
async function primaryFault(kind: 'stop' | 'freeze', cluster: PgCluster, service: Stream, baseline: Stream) {
  const faultAt = performance.now();
  if (kind === 'stop') await cluster.stop('fast');
  else cluster.pause();
  await delay(Math.max(0, faultAt + HOLD_MS - performance.now()));
  if (kind === 'stop') await cluster.start();
  else cluster.resume();
  // pg_ctl start -w has returned: PostgreSQL accepts connections again. SIGCONT: at once.
  const endAt = performance.now();
  const back = (s: Stream) => () => s.first(endAt, ok) !== undefined;
  await waitFor(`the service back after ${kind}`, back(service), RECOVERY_DEADLINE_MS);
  await waitFor(`the baseline back after ${kind}`, back(baseline), RECOVERY_DEADLINE_MS);
  const svc = observe(service, faultAt, endAt, (a) => a.status === 503);
  const base = observe(baseline, faultAt, endAt, (a) => !ok(a));
  const sample: OutageSample = {
    detectMs: svc.detectMs,
    recoverMs: svc.recoverMs,
    baseline: { detectMs: base.detectMs, recoverMs: base.recoverMs },
    otherErrors: svc.during.filter((a) => !ok(a) && a.status !== 503).length,
    slowestMs: svc.slowestMs,
  };
  log(`outage: ${kind}: ${JSON.stringify(sample)}`);
  return sample;
}

/** The replica's state as readiness lists it, polled every 20 ms. */
class ReplicaStatePoller {
  readonly states: { doneAt: number; state: string }[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(baseUrl: string) {
    this.done = (async () => {
      while (!this.stopped) {
        const res = await request(`${baseUrl}/health/ready`, { timeoutMs: 5000 }).catch(() => undefined);
        try {
          const body = JSON.parse(res?.body ?? '') as { details: { replicas: { replicas: { state: string }[] } } };
          this.states.push({ doneAt: performance.now(), state: body.details.replicas.replicas[0].state });
        } catch {
          // No answer, or no replica listed: nothing to record.
        }
        await delay(20);
      }
    })();
  }

  firstDown(from: number): number | undefined {
    return this.states.find((s) => s.doneAt >= from && s.state !== 'up')?.doneAt;
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }
}

/** Freezes the standby for HOLD_MS and waits until the service reads from it again. */
async function replicaFault(standby: PgCluster, reads: Stream, states: ReplicaStatePoller): Promise<OutageSample> {
  const faultAt = performance.now();
  standby.pause();
  await delay(HOLD_MS);
  standby.resume();
  const endAt = performance.now();
  const fromReplica = (a: Answer) => ok(a) && a.source === 'replica-1';
  await waitFor(
    'reads from the thawed replica',
    () => reads.first(endAt, fromReplica) !== undefined,
    RECOVERY_DEADLINE_MS,
  );
  const seen = observe(reads, faultAt, endAt, () => false);
  const down = states.firstDown(faultAt);
  const sample: OutageSample = {
    detectMs: down !== undefined && down <= endAt ? down - faultAt : undefined,
    recoverMs: reads.first(endAt, fromReplica)!.doneAt - endAt,
    otherErrors: seen.during.filter((a) => !ok(a)).length,
    slowestMs: seen.slowestMs,
  };
  log(`outage: replica-freeze: ${JSON.stringify(sample)}`);
  return sample;
}

/** Runs every fault `options.outageSamples` times; `cleanups` gets what must be stopped on failure. */
export async function runOutage(
  options: BenchOptions,
  meta: Pick<BenchReport, 'command' | 'commit'>,
  cleanups: (() => Promise<void>)[],
): Promise<OutageReport> {
  const startedAt = new Date().toISOString();
  log(`outage: a private cluster from ${PG_BIN}, ${options.outageSamples} sample(s) of each fault`);
  const cluster = await PgCluster.create('bench-outage');
  cleanups.push(() => cluster.destroy());
  const databaseUrl = cluster.url(DATABASE);
  const env = { ...options.serviceEnv, DATABASE_URL: databaseUrl.toString() };
  const version = await scalar<string>(cluster.url(), 'SHOW server_version');
  const outage: OutageReport = {
    ...meta,
    startedAt,
    postgres: `PostgreSQL ${version} (private cluster, pg_ctl)`,
    holdMs: HOLD_MS,
    settings: {
      probeTimeoutMs: buildDatabaseConfig(env).probeTimeoutMs,
      replicaCheckIntervalMs: buildReplicasConfig(env).checkIntervalMs,
      replicaTimeoutMs: buildReplicasConfig(env).timeoutMs,
    },
    samples: {},
    notRun: {},
  };
  const samplesOf = (kind: OutageKind) => (outage.samples[kind] ??= []);

  const service = await startService({ databaseUrl, extraEnv: options.serviceEnv, nodeFlags: options.nodeFlags });
  cleanups.push(() => service.stop());
  const created = await request(`${service.baseUrl}/books`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(newBookBody('978', 1)),
  });
  if (created.status !== 201) throw new Error(`outage bench: POST /books answered ${created.status}: ${created.body}`);
  const bookPath = `/books/${(JSON.parse(created.body) as { id: string }).id}`;
  const baseline = await startBaseline(databaseUrl, options.poolMax, 'transaction');
  cleanups.push(() => baseline.stop());

  const streams = [new Stream(service.baseUrl + bookPath, 2), new Stream(baseline.baseUrl + bookPath, 2)];
  try {
    for (let i = 0; i < options.outageSamples; i++) {
      for (const kind of ['stop', 'freeze'] as const) {
        await delay(1000);
        samplesOf(kind).push(await primaryFault(kind, cluster, streams[0], streams[1]));
      }
    }
  } finally {
    await Promise.all(streams.map((s) => s.stop()));
  }
  await Promise.all([service.stop(), baseline.stop()]);

  if (!fs.existsSync(path.join(PG_BIN, 'pg_basebackup'))) {
    outage.notRun['replica-freeze'] = `no pg_basebackup in ${PG_BIN} (install PostgreSQL, or set PG_BIN_DIR)`;
    log(`outage: replica-freeze not run: ${outage.notRun['replica-freeze']}`);
    return outage;
  }
  const standby = await cluster.createStandby('bench-outage-standby');
  cleanups.push(() => standby.destroy());
  const replicated = await startService({
    databaseUrl,
    extraEnv: { ...options.serviceEnv, DATABASE_REPLICA_URLS: standby.url(DATABASE).toString() },
    nodeFlags: options.nodeFlags,
  });
  cleanups.push(() => replicated.stop());
  const reads = new Stream(replicated.baseUrl + bookPath, 2);
  const states = new ReplicaStatePoller(replicated.baseUrl);
  try {
    const start = performance.now();
    await waitFor(
      'reads from the standby',
      () => reads.first(start, (a) => a.source === 'replica-1') !== undefined,
      30_000,
    );
    for (let i = 0; i < options.outageSamples; i++) {
      await delay(1000);
      samplesOf('replica-freeze').push(await replicaFault(standby, reads, states));
    }
  } finally {
    await Promise.all([reads.stop(), states.stop()]);
  }
  return outage;
}

/**
 * `--outage`: only this scenario, merged into the output folder's results.json (the load and scale
 * sections stay as the last full run left them), and RESULTS.md rendered again.
 */
export async function runOutageOnly(
  options: BenchOptions,
  report: BenchReport,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  const outage = await runOutage(options, report, cleanups);
  const file = path.join(options.outDir, 'results.json');
  const merged: BenchReport = fs.existsSync(file)
    ? { ...(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport), outage }
    : { ...report, finishedAt: new Date().toISOString(), outage };
  fs.writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
  fs.writeFileSync(path.join(options.outDir, 'RESULTS.md'), renderMarkdown(merged));
  log(`wrote the outage section of ${path.relative(process.cwd(), path.join(options.outDir, 'RESULTS.md'))}`);
}
