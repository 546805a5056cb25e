import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../src/lib/free-port';
import { HaProxy } from '../helpers/haproxy';
import { PgBouncer } from '../helpers/pgbouncer';
import { PgCluster } from '../helpers/pg-cluster';
import { serviceRoles } from '../helpers/service-roles';
import { RedisServer } from '../helpers/redis-server';
import { spawnApp, SpawnedApp, waitForListening } from '../helpers/spawn-app';
import { query } from '../helpers/test-database';
import { RollingLoad } from './rolling-load';

const DATABASE = 'bookapi_test_rolling';
const WORKERS = 8;
const MAX_REQUESTS = 40_000;

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

/**
 * The scale-out setup on one machine: PostgreSQL, PgBouncer (transaction mode), Redis, two
 * instances of the built service and haproxy health-checking /health/ready (deploy/haproxy/haproxy.cfg).
 * Under a steady load of writes and reads through haproxy, each instance in turn gets SIGTERM,
 * exits, starts again and rejoins; not one request may fail, and every acknowledged write must be there.
 */
describe('rolling restart behind haproxy', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let redis: RedisServer;
  let haproxy: HaProxy;
  const ports: number[] = [];
  const apps: SpawnedApp[] = [];

  const start = (i: number): SpawnedApp =>
    (apps[i] = spawnApp({
      NODE_ENV: 'test',
      PORT: String(ports[i]),
      LOG_LEVEL: 'log',
      DATABASE_URL: bouncer.url(DATABASE).toString(),
      DATABASE_DIRECT_URL: cluster.url(DATABASE, serviceRoles().serving).toString(),
      // The owner role migrates; the superuser only creates the roles and the database.
      DATABASE_MIGRATION_URL: cluster.url(DATABASE, serviceRoles().owner).toString(),
      DATABASE_ADMIN_URL: cluster.url().toString(),
      DB_POOLER: 'transaction',
      DB_SCHEMA_MODE: 'migrate',
      DB_POOL_MAX: '5',
      REDIS_URL: redis.url,
      THROTTLE_LIMIT: '1000000',
      THROTTLE_WRITE_LIMIT: '1000000',
      TRUST_PROXY: '127.0.0.1',
      SHUTDOWN_DRAIN_DELAY_MS: process.env.ROLLING_DRAIN_DELAY_MS ?? '1500',
      SHUTDOWN_TIMEOUT_MS: '15000',
    }));

  const upInHaproxy = (i: number) => async () => (await haproxy.serverStates())[`api${i + 1}`] === 'UP';

  beforeAll(async () => {
    cluster = await PgCluster.create('rolling');
    [bouncer, redis] = await Promise.all([PgBouncer.start(cluster.port, { poolSize: 6 }), RedisServer.start()]);
    ports.push(await freePort(), await freePort());
    await Promise.all([0, 1].map((i) => waitForListening(start(i), 45_000)));
    haproxy = await HaProxy.start(ports);
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app?.stop('SIGTERM')));
    await haproxy?.stop();
    await redis?.destroy();
    await bouncer?.stop();
    await cluster?.destroy();
  });

  it('restarts both instances in turn under load: 0 failed requests, 0 5xx, every acknowledged write present', async () => {
    for (const i of [0, 1]) await until(`api${i + 1} UP`, upInHaproxy(i), 10_000);
    const load = new RollingLoad(haproxy.url, `Rolling ${Date.now()}`, WORKERS, MAX_REQUESTS);
    const started = Date.now();
    const restarts: { instance: string; exitCode: number | null; stopMs: number; backUpMs: number }[] = [];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const i of [0, 1]) {
      const stopping = Date.now();
      const { code } = await apps[i].stop('SIGTERM');
      const stopMs = Date.now() - stopping;
      await waitForListening(start(i), 45_000);
      await until(`api${i + 1} back UP`, upInHaproxy(i), 15_000);
      const backUpMs = Date.now() - stopping;
      restarts.push({ instance: `api${i + 1}`, exitCode: code, stopMs, backUpMs });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const figures = await load.stop();
    const seconds = (Date.now() - started) / 1000;

    const ids = load.acknowledgedIds;
    const [{ present }] = await query<{ present: number }>(
      cluster.url(DATABASE),
      'SELECT count(*)::int AS present FROM books WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const [{ written }] = await query<{ written: number }>(
      cluster.url(DATABASE),
      'SELECT count(*)::int AS written FROM books WHERE author = $1',
      [load.author],
    );
    const report = {
      seconds: Math.round(seconds * 10) / 10,
      workers: WORKERS,
      requests: figures.requests,
      writesAcknowledged: figures.writesAcknowledged,
      reads: figures.reads,
      failed: figures.failed,
      status5xx: figures.status5xx,
      unexpected: figures.unexpected,
      acknowledgedWritesPresent: present,
      rowsWritten: written,
      restarts,
      problems: figures.problems,
    };
    fs.mkdirSync(path.resolve(__dirname, '../../test-output'), { recursive: true });
    fs.writeFileSync(
      path.resolve(__dirname, '../../test-output/rolling-restart.json'),
      JSON.stringify(report, null, 2),
    );
    console.log(`rolling restart figures:\n${JSON.stringify(report, null, 2)}`);

    expect(restarts.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(figures.requests).toBeGreaterThan(100);
    expect({ failed: figures.failed, status5xx: figures.status5xx, unexpected: figures.unexpected }).toEqual({
      failed: 0,
      status5xx: 0,
      unexpected: 0,
    });
    expect(present).toBe(ids.length);
    // No write was replayed or left half-acknowledged: exactly the acknowledged rows exist.
    expect(written).toBe(ids.length);
  });
});
