/**
 * The benchmark: the service (node dist/main.js, production mode) against a node:http + pg
 * baseline on the same PostgreSQL, in interleaved rounds; then GET /books at two table
 * sizes; then RESULTS.md and results.json. `npm run bench -- --help` lists the options.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { ENDPOINT_LABELS, Endpoint, LoadState, Measurement, measure, requestsFor, WRITE_ENDPOINTS } from './lib/load';
import { BenchOptions, parseOptions } from './lib/options';
import { BenchPostgres, dropDatabase, startPostgres, withClient } from './lib/postgres';
import { loadAverage, machineInfo, rssBytes } from './lib/proc';
import { newestProfile, summariseProfile } from './lib/profile';
import { BenchReport, evaluateTargets, fmt, renderMarkdown, ScaleCase } from './lib/report';
import { insertBooks } from './lib/seed';
import { mergeScaleRun, scaleCases, seedScaleTable, SMOKE_SCALE_CASES } from './lib/scale-cases';
import { nodeFlags } from '../src/lib/node-flags';
import { ROOT, RunningServer, startBaseline, startService, WORK_DIR } from './lib/servers';

const started = Date.now();
function log(message: string): void {
  console.log(`[bench +${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${message}`);
}

/** Stops what the run started, newest first, also on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}
process.once('SIGINT', () => {
  log('interrupted: stopping servers');
  void cleanUp().finally(() => process.exit(130));
});

function command(argv: string[]): string {
  const args = argv.join(' ');
  const event = process.env.npm_lifecycle_event;
  if (event === 'bench' || event === 'bench:smoke') return `npm run ${event}${args ? ` -- ${args}` : ''}`;
  return `ts-node bench/run.ts ${args}`.trim();
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT }).toString().trim();
    return dirty ? `${sha} (src/ has uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

class Bench {
  private readonly state: LoadState = { books: [], deletable: [], deleteNext: 0, createSerial: 0, patchNext: 0 };
  /** Fastest warm-up rate per endpoint, to size the pool of deletable rows. */
  private readonly seenRate = new Map<Endpoint, number>();

  constructor(
    private readonly options: BenchOptions,
    private readonly pg: BenchPostgres,
    private readonly report: BenchReport,
  ) {}

  /** Which build runs as the service, with what extra environment. */
  get serviceOptions(): { appDir: string; extraEnv: Record<string, string>; nodeFlags?: string[] } {
    return { appDir: this.options.appDir, extraEnv: this.options.serviceEnv, nodeFlags: this.options.nodeFlags };
  }

  private get mainUrl(): URL {
    return this.pg.urlOf(this.pg.database);
  }

  private sql<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return withClient(this.mainUrl, work);
  }

  async prepareDatabase(): Promise<void> {
    await dropDatabase(this.pg, this.pg.database);
    // The first boot creates the database and applies the migrations, as in production.
    const first = await startService({ ...this.serviceOptions, databaseUrl: this.mainUrl });
    await first.stop();
    log(`seeding ${this.options.rows.toLocaleString('en-US')} books`);
    await this.sql((client) => insertBooks(client, '978', 0, this.options.rows));
    await this.vacuum();
  }

  async measureStartup(): Promise<void> {
    for (let i = 0; i < this.options.startupSamples; i++) {
      const service = await startService({ ...this.serviceOptions, databaseUrl: this.mainUrl });
      await service.stop();
      this.report.startup.existingMs.push(service.readyMs);
      const fresh = `${this.pg.database}_fresh_${i}`;
      await dropDatabase(this.pg, fresh);
      const onFresh = await startService({ ...this.serviceOptions, databaseUrl: this.pg.urlOf(fresh) });
      await onFresh.stop();
      await dropDatabase(this.pg, fresh);
      this.report.startup.freshMs.push(onFresh.readyMs);
    }
    log(
      `startup to ready: existing database ${this.report.startup.existingMs.map((v) => fmt(v, 0)).join(', ')} ms; ` +
        `fresh database ${this.report.startup.freshMs.map((v) => fmt(v, 0)).join(', ')} ms`,
    );
  }

  /**
   * `autocommit`, when given, joins the max-rate runs of the write endpoints only: reads are the
   * same SQL in both baselines, so it prices the transaction and nothing else.
   */
  async loadRounds(service: RunningServer, baseline: RunningServer, autocommit?: RunningServer): Promise<void> {
    const o = this.options;
    const maxRunners = (endpoint: Endpoint, order: RunningServer[]) =>
      autocommit && WRITE_ENDPOINTS.includes(endpoint) ? [...order, autocommit] : order;
    await this.loadBooks();
    const fixedRate = new Map<Endpoint, number>();
    log(`warm-up: ${o.warmupS} s per endpoint and server`);
    for (const endpoint of o.endpoints) {
      const warm = [];
      for (const server of maxRunners(endpoint, [service, baseline])) {
        warm.push(await this.run(server, endpoint, 'max', 0, o.warmupS));
      }
      fixedRate.set(endpoint, Math.max(1, Math.round(o.fixedFraction * Math.min(...warm.map((m) => m.rps)))));
    }
    await this.endRound();
    for (let round = 1; round <= o.rounds; round++) {
      // Alternate who goes first, so drift on a shared machine does not favour one side.
      const order = round % 2 ? [service, baseline] : [baseline, service];
      for (const endpoint of o.endpoints) {
        for (const server of maxRunners(endpoint, order)) await this.run(server, endpoint, 'max', round, o.durationS);
        for (const server of order) {
          await this.run(server, endpoint, 'fixed', round, o.fixedDurationS, fixedRate.get(endpoint));
        }
      }
      await this.endRound();
    }
  }

  private async run(
    server: RunningServer,
    endpoint: Endpoint,
    mode: Measurement['mode'],
    round: number,
    durationS: number,
    overallRate?: number,
  ): Promise<Measurement> {
    // A run's last in-flight PATCHes change versions whose answers it never reads: resync.
    if (endpoint === 'update') await this.loadBooks();
    if (endpoint === 'delete') {
      const rate = overallRate ?? Math.max(this.seenRate.get('delete') ?? 0, 2 * (this.seenRate.get('get-id') ?? 3000));
      await this.ensureDeletable(Math.ceil(rate * durationS * 1.5) + 200);
    }
    const m = await measure(server, requestsFor(endpoint, this.state), {
      connections: this.options.connections,
      durationS,
      overallRate,
      round,
      mode,
      postmasterPid: this.pg.postmasterPid,
      label: endpoint,
    });
    this.seenRate.set(endpoint, Math.max(this.seenRate.get(endpoint) ?? 0, m.rps));
    this.report.runs.push(m);
    const bad = m.non2xx || m.errors ? ` non-2xx ${m.non2xx} ${JSON.stringify(m.statusCounts)} errors ${m.errors}` : '';
    log(
      `${round ? `round ${round}` : 'warm-up'} ${ENDPOINT_LABELS[endpoint]} ${server.name} ${mode}${overallRate ? ` @${overallRate}/s` : ''}: ` +
        `${fmt(m.rps, 0)} req/s p50 ${fmt(m.latencyMs.p50, 2)} p99 ${fmt(m.latencyMs.p99, 2)} ms, ` +
        `${fmt(m.cpuUsPerRequest, 0)} µs CPU/req${bad}`,
    );
    return m;
  }

  private async loadBooks(): Promise<void> {
    this.state.books = await this.sql(
      async (client) =>
        (
          await client.query<{ id: string; version: number }>(
            `SELECT id, version FROM books WHERE isbn LIKE '978%' ORDER BY isbn`,
          )
        ).rows,
    );
  }

  /** Rows for DELETE to remove: those POST created, topped up with inserted ones. */
  private async ensureDeletable(need: number): Promise<void> {
    const ids = await this.sql(async (client) => {
      const select = () => client.query<{ id: string }>(`SELECT id FROM books WHERE isbn LIKE '979%'`);
      let rows = (await select()).rows;
      if (rows.length < need) {
        const from = this.state.createSerial;
        this.state.createSerial += need - rows.length;
        await insertBooks(client, '979', from, this.state.createSerial);
        rows = (await select()).rows;
      }
      return rows.map((r) => r.id);
    });
    this.state.deletable = ids;
    this.state.deleteNext = 0;
  }

  /** Back to the seeded rows, vacuumed, so every round starts from the same table. */
  private async endRound(): Promise<void> {
    await this.sql((client) => client.query(`DELETE FROM books WHERE isbn LIKE '979%'`));
    await this.vacuum();
  }

  private vacuum(): Promise<unknown> {
    return this.sql((client) => client.query('VACUUM (ANALYZE) books'));
  }

  /** GET /books shapes on adversarial data (lib/scale-cases.ts), at --rows and at --scale-rows. */
  async scale(service: RunningServer): Promise<void> {
    for (const rows of [this.options.rows, this.options.scaleRows].filter((n) => n > 0)) {
      log(`scale: seeding ${rows.toLocaleString('en-US')} books with generate_series`);
      const seedStart = Date.now();
      await this.sql((client) => seedScaleTable(client, rows));
      log(`scale: seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
      await this.scaleCases(service, rows);
    }
  }

  private async scaleCases(service: RunningServer, rows: number): Promise<void> {
    const all = await this.sql((client) => scaleCases(client, rows));
    const cases = this.options.smoke ? all.filter((c) => SMOKE_SCALE_CASES.includes(c.name)) : all;
    for (const c of cases) {
      const scaleCase: ScaleCase = { ...c, rows };
      if (!c.skipped) {
        scaleCase.measurement = await measure(service, [{ method: 'GET', path: c.path }], {
          connections: 1,
          durationS: this.options.latencyS,
          round: 0,
          mode: 'latency',
          label: `scale ${c.name}`,
        });
        const m = scaleCase.measurement;
        log(
          `scale ${rows.toLocaleString('en-US')} rows, ${c.name}: p50 ${fmt(m.latencyMs.p50, 2)} p99 ${fmt(m.latencyMs.p99, 2)} ms` +
            (m.non2xx ? ` (${m.non2xx} non-2xx ${JSON.stringify(m.statusCounts)})` : ''),
        );
      }
      this.report.scale.push(scaleCase);
    }
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv, ROOT);
  // Recorded in the report: the flags each side actually ran with.
  options.nodeFlags ??= nodeFlags(options.appDir);
  if (options.baselineApp) options.baselineNodeFlags ??= nodeFlags(options.baselineApp);
  if (options.profile && !argv.some((a) => a.startsWith('--out'))) options.outDir = path.join(WORK_DIR, 'profile');
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: command(argv),
    commit: gitCommit(),
    machine: machineInfo(),
    loadAverage: { start: loadAverage() },
    postgres: '',
    options,
    startup: { existingMs: [], freshMs: [], baselineMs: [] },
    rssIdleMiB: { service: NaN, baseline: NaN },
    runs: [],
    scale: [],
  };
  fs.mkdirSync(WORK_DIR, { recursive: true });
  fs.mkdirSync(options.outDir, { recursive: true });
  log(`load average ${report.loadAverage.start.join(' ')}; ${report.machine.nproc} CPUs`);
  if (options.build && options.appDir === ROOT) {
    log('npx nest build');
    execFileSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }

  const pg = await startPostgres(process.env.DATABASE_URL, (line) => log(`postgres: ${line}`));
  cleanups.push(() => pg.stop());
  report.postgres = pg.label;
  log(report.postgres);
  const bench = new Bench(options, pg, report);
  await bench.prepareDatabase();
  if (options.startup) await bench.measureStartup();

  const profileDir = (name: string) => (options.profile ? path.join(WORK_DIR, 'profile', `cpu-${name}`) : undefined);
  // Old profiles would be mistaken for this run's.
  for (const name of options.profile ? ['service', 'baseline'] : []) {
    fs.rmSync(path.join(WORK_DIR, 'profile', `cpu-${name}`), { recursive: true, force: true });
  }
  const service = await startService({
    ...bench.serviceOptions,
    databaseUrl: pg.urlOf(pg.database),
    cpuProfileDir: profileDir('service'),
  });
  cleanups.push(() => service.stop());
  const baseline = options.baselineApp
    ? {
        ...(await startService({
          appDir: options.baselineApp,
          extraEnv: options.baselineEnv,
          nodeFlags: options.baselineNodeFlags,
          databaseUrl: pg.urlOf(pg.database),
          cpuProfileDir: profileDir('baseline'),
        })),
        name: 'baseline' as const,
      }
    : await startBaseline(pg.urlOf(pg.database), options.poolMax, 'transaction', profileDir('baseline'));
  cleanups.push(() => baseline.stop());
  const autocommit =
    options.baselineApp || !options.load || !options.endpoints.some((e) => WRITE_ENDPOINTS.includes(e))
      ? undefined
      : await startBaseline(pg.urlOf(pg.database), options.poolMax, 'autocommit');
  if (autocommit) cleanups.push(() => autocommit.stop());
  report.startup.baselineMs.push(baseline.readyMs);
  report.rssIdleMiB = { service: rssBytes(service.pid) / 2 ** 20, baseline: rssBytes(baseline.pid) / 2 ** 20 };

  if (options.load) await bench.loadRounds(service, baseline, autocommit);
  if (options.scale) await bench.scale(service);

  await cleanUp();
  if (options.profile) {
    const served = (name: string) =>
      [...report.runs, ...report.scale.flatMap((c) => (c.measurement ? [c.measurement] : []))]
        .filter((m) => m.server === name)
        .reduce((sum, m) => sum + m.requests, 0);
    report.profile = ['service', 'baseline']
      .map((name) => {
        const file = newestProfile(profileDir(name)!);
        return `### ${name}\n\n${file ? summariseProfile(file, served(name)) : 'No profile was written.'}`;
      })
      .join('\n\n');
  }
  report.loadAverage.end = loadAverage();
  report.finishedAt = new Date().toISOString();
  const written = options.scaleOnly ? mergeScaleRun(path.join(options.outDir, 'results.json'), report) : report;
  fs.writeFileSync(path.join(options.outDir, 'results.json'), JSON.stringify(written, null, 2) + '\n');
  fs.writeFileSync(path.join(options.outDir, 'RESULTS.md'), renderMarkdown(written));
  for (const t of evaluateTargets(written))
    log(`${t.met ? 'met    ' : 'NOT MET'} ${t.name}: ${t.measured} (goal ${t.goal})`);
  log(`wrote ${path.relative(ROOT, path.join(options.outDir, 'RESULTS.md'))} and results.json`);
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await cleanUp();
  process.exit(1);
});
