/**
 * The load scenarios: seeding, startup samples, and the interleaved rounds of every endpoint
 * against the service and the baseline (warm-up, then max-rate and fixed-rate runs).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { formatSites, sampleAllocations } from './lib/alloc';
import { ENDPOINT_LABELS, Endpoint, LoadState, Measurement, measure, requestsFor, WRITE_ENDPOINTS } from './lib/load';
import { log } from './lib/log';
import type { BenchOptions } from './lib/options';
import { BenchPostgres, dropDatabase, vacuumBooks, withClient } from './lib/postgres';
import { BenchReport, fmt } from './lib/report';
import { insertBooks } from './lib/seed';
import { nodeFlags } from '../src/lib/node-flags';
import { ROOT, RunningServer, startBaseline, startService, WORK_DIR } from './lib/servers';

export class LoadScenarios {
  private readonly state: LoadState = { books: [], deletable: [], deleteNext: 0, createSerial: 0, patchNext: 0 };
  /** Fastest warm-up rate per endpoint, to size the pool of deletable rows. */
  private readonly seenRate = new Map<Endpoint, number>();

  constructor(
    private readonly options: BenchOptions,
    private readonly pg: BenchPostgres,
    private readonly report: BenchReport,
  ) {}

  /** Sends `Authorization: <value>` with every load request (--auth). */
  set authorization(value: string) {
    this.state.authorization = value;
  }

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

  /** Each sample starts the baseline, the service (and any --baseline-app) back to back: ratios of one moment. */
  async measureStartup(): Promise<void> {
    const o = this.options;
    this.primeCodeCache();
    for (let i = 0; i < o.startupSamples; i++) {
      const baseline = await startBaseline(this.mainUrl, o.poolMax, 'transaction');
      await baseline.stop();
      this.report.startup.baselineMs.push(baseline.readyMs);
      if (o.baselineApp) {
        const before = await startService({
          appDir: o.baselineApp,
          extraEnv: o.baselineEnv,
          nodeFlags: o.baselineNodeFlags,
          databaseUrl: this.mainUrl,
        });
        await before.stop();
        (this.report.startup.baselineAppMs ??= []).push(before.readyMs);
      }
      const service = await startService({ ...this.serviceOptions, databaseUrl: this.mainUrl });
      await service.stop();
      this.report.startup.existingMs.push(service.readyMs);
      // A new container: no cache of an earlier start, only the one the image's build primed.
      const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-new-container-'));
      const container = await startService({
        ...this.serviceOptions,
        databaseUrl: this.mainUrl,
        extraEnv: { ...this.serviceOptions.extraEnv, NODE_COMPILE_CACHE: emptyCache },
      });
      await container.stop();
      fs.rmSync(emptyCache, { recursive: true, force: true });
      (this.report.startup.newContainerMs ??= []).push(container.readyMs);
      const fresh = `${this.pg.database}_fresh_${i}`;
      await dropDatabase(this.pg, fresh);
      const onFresh = await startService({ ...this.serviceOptions, databaseUrl: this.pg.urlOf(fresh) });
      await onFresh.stop();
      await dropDatabase(this.pg, fresh);
      this.report.startup.freshMs.push(onFresh.readyMs);
    }
    const ms = (runs: number[] = []) => runs.map((v) => fmt(v, 0)).join(', ');
    const { existingMs, newContainerMs, freshMs, baselineMs, baselineAppMs } = this.report.startup;
    log(
      `startup to ready: existing database ${ms(existingMs)} ms (new container ${ms(newContainerMs)} ms); ` +
        `fresh database ${ms(freshMs)} ms; ` +
        `baseline ${ms(baselineMs)} ms${baselineAppMs ? `; --baseline-app ${ms(baselineAppMs)} ms` : ''}`,
    );
  }

  /** What the Dockerfile's build stage does: the image ships a code cache of the bundle's module bodies. */
  private primeCodeCache(): void {
    const appDir = this.serviceOptions.appDir ?? ROOT;
    const flags = this.serviceOptions.nodeFlags ?? nodeFlags(appDir);
    const primed = spawnSync(process.execPath, [...flags, path.join(appDir, 'dist', 'main.js'), '--prime-code-cache'], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    if (primed.status !== 0) throw new Error(`priming the code cache failed: ${primed.stderr || primed.error}`);
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

  /**
   * Heap allocated per request, endpoint by endpoint, on servers started with the inspector (not
   * the ones the rounds measured, whose timings the sampling would disturb): a warm-up, then a
   * sampled max-rate run of `allocS` seconds each.
   */
  async allocationRuns(service: RunningServer, baseline: RunningServer): Promise<void> {
    log(
      `allocation runs: ${this.options.allocS} s warm-up and ${this.options.allocS} s sampled per endpoint and server`,
    );
    await this.loadBooks();
    for (const endpoint of this.options.endpoints) {
      for (const server of [service, baseline]) await this.run(server, endpoint, 'alloc', 0, this.options.allocS);
    }
    await this.endRound();
  }

  private async run(
    server: RunningServer,
    endpoint: Endpoint,
    mode: Measurement['mode'],
    round: number,
    durationS: number,
    overallRate?: number,
  ): Promise<Measurement> {
    // An allocation run is a warm-up and a sampled run, back to back.
    const runs = mode === 'alloc' ? 2 : 1;
    // A run's last in-flight PATCHes change versions whose answers it never reads: resync.
    if (endpoint === 'update') await this.loadBooks();
    if (endpoint === 'delete') {
      const rate = overallRate ?? Math.max(this.seenRate.get('delete') ?? 0, 2 * (this.seenRate.get('get-id') ?? 3000));
      await this.ensureDeletable(Math.ceil(rate * durationS * runs * 1.5) + 200);
    }
    const load = () =>
      measure(server, requestsFor(endpoint, this.state), {
        connections: this.options.connections,
        durationS,
        overallRate,
        round,
        mode,
        postmasterPid: this.pg.postmasterPid,
        label: endpoint,
      });
    let m: Measurement;
    if (mode === 'alloc') {
      if (server.inspectPort === undefined) throw new Error(`${server.name} was started without the inspector`);
      await load();
      if (endpoint === 'update') await this.loadBooks();
      const { result, bytes, sites } = await sampleAllocations(server.inspectPort, load);
      m = { ...result, allocKBPerRequest: result.requests ? bytes / result.requests / 1024 : NaN };
      // Where the bytes came from, per request: bench/.work/alloc-sites/<endpoint>-<server>.txt.
      const sitesDir = path.join(WORK_DIR, 'alloc-sites');
      fs.mkdirSync(sitesDir, { recursive: true });
      fs.writeFileSync(
        path.join(sitesDir, `${endpoint}-${server.name}.txt`),
        formatSites(sites, result.requests) + '\n',
      );
    } else {
      m = await load();
    }
    this.seenRate.set(endpoint, Math.max(this.seenRate.get(endpoint) ?? 0, m.rps));
    this.report.runs.push(m);
    const bad = m.non2xx || m.errors ? ` non-2xx ${m.non2xx} ${JSON.stringify(m.statusCounts)} errors ${m.errors}` : '';
    log(
      `${round ? `round ${round}` : mode === 'alloc' ? 'allocation' : 'warm-up'} ${ENDPOINT_LABELS[endpoint]} ${server.name} ${mode}${overallRate ? ` @${overallRate}/s` : ''}: ` +
        `${fmt(m.rps, 0)} req/s p50 ${fmt(m.latencyMs.p50, 2)} p99 ${fmt(m.latencyMs.p99, 2)} ms, ` +
        `${fmt(m.cpuUsPerRequest, 0)} µs CPU/req${m.allocKBPerRequest === undefined ? '' : `, ${fmt(m.allocKBPerRequest, 1)} KB allocated/req`}${bad}`,
    );
    return m;
  }

  /**
   * The versions as they are once the last run's requests are done. A load generator hangs up with
   * requests in flight, and a server still commits those: read before they commit, a version is
   * stale, and that book's next PATCH is a 412 (seen once in 17,100 PATCHes).
   */
  private async loadBooks(): Promise<void> {
    this.state.books = await this.sql(async (client) => {
      await settled(client);
      return (
        await client.query<{ id: string; version: number }>(
          `SELECT id, version FROM books WHERE isbn LIKE '978%' ORDER BY isbn`,
        )
      ).rows;
    });
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
    await this.sql(async (client) => {
      await client.query(`DELETE FROM books WHERE isbn LIKE '979%'`);
      // The keys POST (Idempotency-Key) made; a build from before the table has none.
      await client.query(
        `DO $$ BEGIN IF to_regclass('idempotency_keys') IS NOT NULL THEN TRUNCATE idempotency_keys; END IF; END $$`,
      );
    });
    await this.vacuum();
  }

  private vacuum(): Promise<unknown> {
    return vacuumBooks(this.mainUrl);
  }
}

/**
 * Waits until no other client session of this database (autovacuum aside) has a transaction open,
 * twice in a row 50 ms apart (a request a server had read but not yet started shows up in the
 * second look), for at most 5 s.
 */
async function settled(client: Client): Promise<void> {
  const busy = async () =>
    (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND backend_type = 'client backend' AND xact_start IS NOT NULL`,
      )
    ).rows[0].n;
  const deadline = Date.now() + 5000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    quiet = (await busy()) === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
