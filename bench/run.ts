/**
 * The benchmark: the service (node dist/main.js, production mode) against a node:http + pg
 * baseline on the same PostgreSQL, in interleaved rounds (scenarios.ts); then GET /books at two
 * table sizes (scale-cases.ts); then RESULTS.md and results.json. `npm run bench -- --help` lists the options.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WRITE_ENDPOINTS } from './lib/load';
import { log } from './lib/log';
import { BenchOptions, parseOptions } from './lib/options';
import { startPostgres } from './lib/postgres';
import { loadAverage, machineInfo, rssBytes } from './lib/proc';
import { newestProfile, summariseProfile } from './lib/profile';
import { BenchReport, evaluateTargets, renderMarkdown } from './lib/report';
import { mergeScaleRun } from './lib/scale-cases';
import { runOutage, runOutageOnly } from './outage';
import { runScaleCases } from './scale-cases';
import { LoadScenarios } from './scenarios';
import { nodeFlags } from '../src/lib/node-flags';
import { ROOT, RunningServer, startBaseline, startService, WORK_DIR } from './lib/servers';
import { measureWatchRestarts } from './lib/watch-restart';
import { startBenchIssuer } from './lib/token-issuer';

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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let authorization: string | undefined;
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
    log('npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (options.outageOnly) return runOutageOnly(options, report, cleanups).finally(cleanUp);

  const pg = await startPostgres(process.env.DATABASE_URL, (line) => log(`postgres: ${line}`));
  cleanups.push(() => pg.stop());
  report.postgres = pg.label;
  log(report.postgres);
  if (options.auth) {
    const issuer = await startBenchIssuer();
    cleanups.push(() => issuer.stop());
    Object.assign(options.serviceEnv, issuer.serviceEnv);
    authorization = `Bearer ${issuer.token}`;
  }
  const bench = new LoadScenarios(options, pg, report);
  if (authorization) bench.authorization = authorization;
  await bench.prepareDatabase();
  if (options.startup) await bench.measureStartup();
  if (options.watchSaves > 0) {
    log(`watch mode: ${options.watchSaves} saves, npm run start:dev and node --watch on the baseline`);
    report.watch = await measureWatchRestarts(pg.urlOf(pg.database), options.watchSaves);
    log(
      `watch mode: service ${report.watch.serviceMs.map((v) => v.toFixed(0)).join(', ')} ms; baseline ${report.watch.baselineMs.map((v) => v.toFixed(0)).join(', ')} ms`,
    );
  }

  const profileDir = (name: string) => (options.profile ? path.join(WORK_DIR, 'profile', `cpu-${name}`) : undefined);
  // Old profiles would be mistaken for this run's.
  for (const name of options.profile ? ['service', 'baseline'] : []) {
    fs.rmSync(path.join(WORK_DIR, 'profile', `cpu-${name}`), { recursive: true, force: true });
  }
  const { service, baseline } = await startPair(bench, options, pg.urlOf(pg.database), { profileDir });
  const autocommit =
    options.baselineApp || !options.load || !options.endpoints.some((e) => WRITE_ENDPOINTS.includes(e))
      ? undefined
      : await startBaseline(pg.urlOf(pg.database), options.poolMax, 'autocommit');
  if (autocommit) cleanups.push(() => autocommit.stop());
  if (!options.startup) report.startup.baselineMs.push(baseline.readyMs);
  report.rssIdleMiB = { service: rssBytes(service.pid) / 2 ** 20, baseline: rssBytes(baseline.pid) / 2 ** 20 };

  if (options.load) await bench.loadRounds(service, baseline, autocommit);
  if (options.load && options.alloc) await allocationRuns(bench, options, pg.urlOf(pg.database));
  if (options.scale) await runScaleCases(service, options, pg, report);
  if (options.outage) report.outage = await runOutage(options, report, cleanups);

  await cleanUp();
  if (options.profile) {
    const served = (name: string) =>
      [...report.runs, ...report.scale.flatMap((c) => c.runs ?? (c.measurement ? [c.measurement] : []))]
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

/**
 * The service and what it is compared with: the baseline server, or another build (--baseline-app).
 * Both stop with the run.
 */
async function startPair(
  bench: LoadScenarios,
  options: BenchOptions,
  databaseUrl: URL,
  extra: { profileDir?: (name: string) => string | undefined; inspect?: boolean },
): Promise<{ service: RunningServer; baseline: RunningServer }> {
  const { profileDir = () => undefined, inspect = false } = extra;
  const service = await startService({
    ...bench.serviceOptions,
    databaseUrl,
    cpuProfileDir: profileDir('service'),
    inspect,
  });
  cleanups.push(() => service.stop());
  const baseline = options.baselineApp
    ? {
        ...(await startService({
          appDir: options.baselineApp,
          extraEnv: options.baselineEnv,
          nodeFlags: options.baselineNodeFlags,
          databaseUrl,
          cpuProfileDir: profileDir('baseline'),
          inspect,
        })),
        name: 'baseline' as const,
      }
    : await startBaseline(databaseUrl, options.poolMax, 'transaction', profileDir('baseline'), inspect);
  cleanups.push(() => baseline.stop());
  return { service, baseline };
}

/** Fresh copies of both servers with the inspector open, so the rounds above ran without it. */
async function allocationRuns(bench: LoadScenarios, options: BenchOptions, databaseUrl: URL): Promise<void> {
  const { service, baseline } = await startPair(bench, options, databaseUrl, { inspect: true });
  await bench.allocationRuns(service, baseline);
  await Promise.all([service.stop(), baseline.stop()]);
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await cleanUp();
  process.exit(1);
});
