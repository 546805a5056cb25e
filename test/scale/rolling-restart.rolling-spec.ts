import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../src/lib/free-port';
import { HaProxy } from '../helpers/haproxy';
import { PgBouncer } from '../helpers/pgbouncer';
import { PgCluster } from '../helpers/pg-cluster';
import { RedisServer } from '../helpers/redis-server';
import { spawnApp, SpawnedApp, waitForListening } from '../helpers/spawn-app';
import { query } from '../helpers/test-database';
import { until } from '../helpers/until';
import { LoadFigures, RollingLoad } from './rolling-load';

const DATABASE = 'bookapi_test_rolling';
const WORKERS = 8;
const MAX_REQUESTS = 40_000;
/** The setup operators are told to use (compose and docs/scaling.md). */
const DRAIN_DELAY_MS = 1500;
/** Restart rounds (each instance once per round) the control may take to show a failure. */
const CONTROL_ROUNDS = 3;

/**
 * The scale-out setup on one machine: PostgreSQL, PgBouncer (transaction mode), Redis, two
 * instances of the built service and haproxy health-checking /health/ready (deploy/haproxy/haproxy.cfg).
 * Under a steady load of writes and reads through haproxy, each instance in turn gets SIGTERM,
 * exits, starts again and rejoins; not one request may fail, and every acknowledged write must be there.
 * A control then does the same with no drain delay, and must see requests fail: without it the
 * first case could not tell the delay from a setup where nothing ever reaches a stopping instance.
 */
describe('rolling restart behind haproxy', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let redis: RedisServer;
  let haproxy: HaProxy;
  const ports: number[] = [];
  const apps: SpawnedApp[] = [];
  /** The SHUTDOWN_DRAIN_DELAY_MS each instance was started with. */
  const drainDelays: number[] = [];
  const figures: Record<string, unknown> = {};

  const start = (i: number, drainDelayMs: number): SpawnedApp => {
    drainDelays[i] = drainDelayMs;
    return (apps[i] = spawnApp({
      NODE_ENV: 'test',
      PORT: String(ports[i]),
      LOG_LEVEL: 'log',
      ...bouncer.serviceEnv(cluster, DATABASE),
      DB_POOL_MAX: '5',
      REDIS_URL: redis.url,
      THROTTLE_LIMIT: '1000000',
      THROTTLE_WRITE_LIMIT: '1000000',
      TRUST_PROXY: '127.0.0.1',
      SHUTDOWN_DRAIN_DELAY_MS: String(drainDelayMs),
      SHUTDOWN_TIMEOUT_MS: '15000',
    }));
  };

  const upInHaproxy = (i: number) => async () => (await haproxy.serverStates())[`api${i + 1}`] === 'UP';

  /** SIGTERM, exit, start again with `nextDrainDelayMs` and wait until haproxy has it UP: api1, then api2. */
  const restartEach = async (nextDrainDelayMs: number) => {
    const restarts: {
      instance: string;
      drainDelayMs: number;
      exitCode: number | null;
      stopMs: number;
      backUpMs: number;
    }[] = [];
    for (const i of [0, 1]) {
      const drainDelayMs = drainDelays[i];
      const stopping = Date.now();
      const { code } = await apps[i].stop('SIGTERM');
      const stopMs = Date.now() - stopping;
      await waitForListening(start(i, nextDrainDelayMs), 45_000);
      await until(`api${i + 1} back UP`, upInHaproxy(i), 15_000);
      restarts.push({ instance: `api${i + 1}`, drainDelayMs, exitCode: code, stopMs, backUpMs: Date.now() - stopping });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return restarts;
  };

  /** Rolling restarts under load (`rounds` of them, or until `enough` says stop), then what the load saw. */
  const underLoad = async (
    label: string,
    rounds: number,
    nextDrainDelayMs: number,
    enough: (f: LoadFigures) => boolean,
  ) => {
    for (const i of [0, 1]) await until(`api${i + 1} UP`, upInHaproxy(i), 10_000);
    const load = new RollingLoad(haproxy.url, `Rolling ${label} ${Date.now()}`, WORKERS, MAX_REQUESTS);
    const started = Date.now();
    const restarts = [];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let round = 0; round < rounds && !enough(load.figures); round++)
      restarts.push(...(await restartEach(nextDrainDelayMs)));
    const result = await load.stop();
    const [{ present }] = await query<{ present: number }>(
      cluster.url(DATABASE),
      'SELECT count(*)::int AS present FROM books WHERE id = ANY($1::uuid[])',
      [load.acknowledgedIds],
    );
    const [{ written }] = await query<{ written: number }>(
      cluster.url(DATABASE),
      'SELECT count(*)::int AS written FROM books WHERE author = $1',
      [load.author],
    );
    const report = {
      seconds: Math.round((Date.now() - started) / 100) / 10,
      workers: WORKERS,
      requests: result.requests,
      writesAcknowledged: result.writesAcknowledged,
      reads: result.reads,
      failed: result.failed,
      status5xx: result.status5xx,
      unexpected: result.unexpected,
      acknowledgedWritesPresent: present,
      rowsWritten: written,
      restarts,
      problems: result.problems,
    };
    figures[label] = report;
    fs.mkdirSync(path.resolve(__dirname, '../../test-output'), { recursive: true });
    fs.writeFileSync(
      path.resolve(__dirname, '../../test-output/rolling-restart.json'),
      JSON.stringify(figures, null, 2),
    );
    console.log(`rolling restart figures (${label}):\n${JSON.stringify(report, null, 2)}`);
    return { report, acknowledged: load.acknowledgedIds.length };
  };

  beforeAll(async () => {
    cluster = await PgCluster.create('rolling');
    [bouncer, redis] = await Promise.all([PgBouncer.start(cluster.port, { poolSize: 6 }), RedisServer.start()]);
    ports.push(await freePort(), await freePort());
    await Promise.all([0, 1].map((i) => waitForListening(start(i, DRAIN_DELAY_MS), 45_000)));
    haproxy = await HaProxy.start(ports);
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app?.stop('SIGTERM')));
    await haproxy?.stop();
    await redis?.destroy();
    await bouncer?.stop();
    await cluster?.destroy();
  });

  it(`with SHUTDOWN_DRAIN_DELAY_MS=${DRAIN_DELAY_MS}, restarts both instances under load: 0 failed, 0 5xx, every acknowledged write present`, async () => {
    expect(drainDelays).toEqual([DRAIN_DELAY_MS, DRAIN_DELAY_MS]);
    // The restarted instances come back without a delay, ready for the control below.
    const { report, acknowledged } = await underLoad('drain-delay', 1, 0, () => false);

    expect(report.restarts.map((r) => [r.drainDelayMs, r.exitCode])).toEqual([
      [DRAIN_DELAY_MS, 0],
      [DRAIN_DELAY_MS, 0],
    ]);
    expect(report.requests).toBeGreaterThan(100);
    expect({ failed: report.failed, status5xx: report.status5xx, unexpected: report.unexpected }).toEqual({
      failed: 0,
      status5xx: 0,
      unexpected: 0,
    });
    expect(report.acknowledgedWritesPresent).toBe(acknowledged);
    // No write was replayed or left half-acknowledged: exactly the acknowledged rows exist.
    expect(report.rowsWritten).toBe(acknowledged);
  });

  it('control: with no drain delay the same restarts fail requests (failed or 5xx), and lose no acknowledged write', async () => {
    // Whatever the case above left behind, both instances now run without a delay.
    for (const i of [0, 1]) {
      if (drainDelays[i] === 0) continue;
      await apps[i].stop('SIGTERM');
      await waitForListening(start(i, 0), 45_000);
    }
    const failures = (f: LoadFigures) => f.failed + f.status5xx;
    const { report, acknowledged } = await underLoad('control-no-delay', CONTROL_ROUNDS, 0, (f) => failures(f) > 0);

    expect(report.restarts.every((r) => r.drainDelayMs === 0)).toBe(true);
    expect(report.requests).toBeGreaterThan(100);
    if (failures(report) === 0) {
      throw new Error(
        `the control did not fail: ${report.restarts.length} restarts without a drain delay under ${report.requests} ` +
          'requests lost none, so this run cannot show what the delay buys (see test-output/rolling-restart.json)',
      );
    }
    expect(failures(report)).toBeGreaterThan(0);
    // Refused requests are answered with an error, never by dropping an acknowledged write.
    expect(report.acknowledgedWritesPresent).toBe(acknowledged);
  });
});
