import request from 'supertest';
import { bookInput } from '../factories/book.factory';
import { printedKey, runApiKeyCli } from '../helpers/apikey-cli';
import { expectProblem } from '../helpers/expect-problem';
import { IdentityProvider } from '../helpers/identity-provider';
import { PgBouncer } from '../helpers/pgbouncer';
import { PgCluster } from '../helpers/pg-cluster';
import { RedisServer } from '../helpers/redis-server';
import { spawnApp, type SpawnedApp, waitForListening } from '../helpers/spawn-app';
import { until } from '../helpers/until';

const DATABASE = 'bookapi_test_auth_scale';
const LIMIT = 6;
/** Invalid credentials per address; the revocation case spends a few from 127.0.0.1, well under it. */
const FAILURES = 10;

/**
 * Access control across instances: two instances of the built service behind PgBouncer in
 * transaction mode, sharing Redis for the rate limit, trusting one real OpenID provider. Keys are
 * made and revoked with the CLI, through the same pooler.
 */
describe('access control on two instances behind PgBouncer, sharing Redis', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let redis: RedisServer;
  let idp: IdentityProvider;
  const apps: SpawnedApp[] = [];
  let urls: string[];

  const databaseEnv = () => ({ ...bouncer.serviceEnv(cluster, DATABASE), NODE_ENV: 'test' });
  const cli = async (...args: string[]) => {
    const run = await runApiKeyCli(args, databaseEnv());
    if (run.code !== 0) throw new Error(`apikey ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
    return run;
  };
  const createKey = async (name: string, scopes: string) =>
    printedKey(await cli('create', '--name', name, '--scopes', scopes));
  const post = (url: string, headers: Record<string, string>) =>
    request(url).post('/books').set(headers).send(bookInput());
  const read = (url: string, key: string) => request(url).get('/books?limit=1').set('X-API-Key', key);

  beforeAll(async () => {
    cluster = await PgCluster.create('auth_scale');
    [bouncer, redis, idp] = await Promise.all([
      PgBouncer.start(cluster.port, { poolSize: 4 }),
      RedisServer.start(),
      IdentityProvider.create(),
    ]);
    const env = {
      ...databaseEnv(),
      ...idp.serviceEnv,
      LOG_LEVEL: 'log',
      REDIS_URL: redis.url,
      THROTTLE_ENABLED: 'true',
      THROTTLE_LIMIT: String(LIMIT),
      THROTTLE_TTL_MS: '60000',
      AUTH_KEY_CACHE_MS: '500',
      AUTH_FAILURE_LIMIT: String(FAILURES),
      // Only the failure case sends X-Forwarded-For, to be an address of its own.
      TRUST_PROXY: '127.0.0.1',
    };
    apps.push(spawnApp(env), spawnApp(env));
    urls = await Promise.all(apps.map((app) => waitForListening(app, 45_000)));
    // Ready means each has the provider's keys, so a token is checked rather than answered 503.
    for (const url of urls) {
      await until(`${url} ready`, async () => (await request(url).get('/health/ready')).status === 200);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop('SIGTERM')));
    await idp?.stop();
    await redis?.destroy();
    await bouncer?.stop();
    await cluster?.destroy();
  });

  it("a token from the provider writes on both instances, recorded under the provider's client", async () => {
    const token = await idp.token('books:write');
    for (const url of urls) {
      const created = await post(url, { Authorization: `Bearer ${token}` }).expect(201);
      expect(created.body).toMatchObject({ createdBy: idp.client.id });
    }
  });

  it('a key made with the CLI writes on both; revoked with the CLI, both refuse it within AUTH_KEY_CACHE_MS', async () => {
    const key = await createKey('deploy', 'books:write');
    for (const url of urls) await post(url, { 'X-API-Key': key }).expect(201);

    await cli('revoke', '--name', 'deploy');
    for (const url of urls) {
      await until(`${url} refuses the revoked key`, async () => (await read(url, key)).status === 401);
      expectProblem(await post(url, { 'X-API-Key': key }), 401, { detail: /revoked/ });
    }
  });

  it("one caller's request budget is shared by both instances through Redis; another caller's is its own", async () => {
    const [a, b] = [await createKey('caller-a', 'books:read'), await createKey('caller-b', 'books:read')];
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await read(urls[0], a)).status);
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    expectProblem(await read(urls[1], a), 429);
    await read(urls[1], b).expect(200);
    await read(urls[0], b).expect(200);
  });

  it("invalid credentials are counted per address across instances: one's failures block it on the other", async () => {
    const reader = await createKey('guessed-address', 'books:read');
    const from = (url: string, key: string) => read(url, key).set('X-Forwarded-For', '198.51.100.77');
    const guess = `bookapi_${'0'.repeat(16)}_${'G'.repeat(43)}`;
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES; i++) statuses.push((await from(urls[i % 2], guess)).status);
    expect(statuses).toEqual(Array(FAILURES).fill(401));
    // The count lives in Redis: the next failure is refused on either instance, and from then on
    // that instance refuses even a valid key from the address; another address is unaffected.
    for (const url of urls) {
      expectProblem(await from(url, guess), 429, { detail: /Too many invalid credentials/ });
      expectProblem(await from(url, reader), 429, { detail: /Too many invalid credentials/ });
    }
    await read(urls[0], reader).set('X-Forwarded-For', '198.51.100.78').expect(200);
  });
});
