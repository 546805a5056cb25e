import Redis from 'ioredis';
import request from 'supertest';
import { RedisServer } from '../helpers/redis-server';
import { spawnApp, SpawnedApp, waitForListening } from '../helpers/spawn-app';
import { createTestDatabase, serviceEnv, TestDatabase } from '../helpers/test-database';

const LIMIT = 10;

/** Two instances of the built service on one database, rate-limited to 10 requests a minute per client. */
describe('rate limit shared through Redis', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  const started: SpawnedApp[] = [];

  const startPair = async (extra: Record<string, string>): Promise<{ apps: SpawnedApp[]; urls: string[] }> => {
    const apps = [0, 1].map(() =>
      spawnApp({
        ...serviceEnv(db),
        NODE_ENV: 'test',
        LOG_LEVEL: 'log',
        DB_SCHEMA_MODE: 'sync',
        THROTTLE_LIMIT: String(LIMIT),
        THROTTLE_TTL_MS: '60000',
        ...extra,
      }),
    );
    started.push(...apps);
    return { apps, urls: await Promise.all(apps.map((app) => waitForListening(app))) };
  };

  /** `count` GETs spread over the instances in turn; their statuses in order. */
  const spread = async (urls: string[], count: number, offset = 0): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++)
      statuses.push((await request(urls[(i + offset) % urls.length]).get('/books?limit=1')).status);
    return statuses;
  };

  beforeAll(async () => {
    db = await createTestDatabase('ratelimit');
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop('SIGTERM')));
    await redis?.destroy();
    await db?.drop();
  });

  it('without REDIS_URL each instance counts alone: 11 requests across two instances all pass (the problem)', async () => {
    const { apps, urls } = await startPair({});
    await expect(spread(urls, LIMIT + 1)).resolves.toEqual(Array(LIMIT + 1).fill(200));
    await Promise.all(apps.map((app) => app.stop('SIGTERM')));
  });

  describe('with REDIS_URL', () => {
    let apps: SpawnedApp[];
    let urls: string[];

    beforeAll(async () => {
      ({ apps, urls } = await startPair({ REDIS_URL: redis.url }));
    });

    it('THROTTLE_LIMIT holds across both: the 11th request gets 429 with Retry-After, on either instance', async () => {
      await expect(spread(urls, LIMIT)).resolves.toEqual(Array(LIMIT).fill(200));
      const over = await request(urls[0]).get('/books?limit=1');
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toMatch(/^\d+$/);
      await request(urls[1]).get('/books?limit=1').expect(429);
      // Health probes are never limited.
      await request(urls[1]).get('/health/ready').expect(200);

      const client = new Redis(redis.url);
      try {
        const keys = await client.keys('bookapi:throttle:*');
        expect(keys.length).toBeGreaterThan(0);
      } finally {
        client.disconnect();
      }
    });

    it('Redis down: requests are still served, readiness stays up, and each instance logs it once', async () => {
      await redis.stop();
      // Counted in memory meanwhile: under the per-instance limit, every request passes.
      await expect(spread(urls, 8)).resolves.toEqual(Array(8).fill(200));
      for (const url of urls) await request(url).get('/health/ready').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // several reconnect attempts
      await expect(spread(urls, 4)).resolves.toEqual(Array(4).fill(200));
      for (const app of apps) expect(app.output().match(/Redis unavailable/g)).toHaveLength(1);
    });

    it('Redis back: the shared limit applies again and the return is logged', async () => {
      await redis.start();
      const deadline = Date.now() + 15_000;
      while (!apps.every((app) => /Redis answers again/.test(app.output()))) {
        if (Date.now() > deadline) throw new Error(`not back on Redis:\n${apps.map((a) => a.output()).join('\n')}`);
        await spread(urls, 2);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      // The new Redis started empty: the next ten across both instances pass, the eleventh does not.
      const client = new Redis(redis.url);
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
      await expect(spread(urls, LIMIT, 1)).resolves.toEqual(Array(LIMIT).fill(200));
      await request(urls[0]).get('/books?limit=1').expect(429);
    });
  });
});
