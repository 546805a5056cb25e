import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { freePort } from '../src/lib/free-port';
import { bookInput } from './factories/book.factory';
import { runApiKeyCli } from './helpers/apikey-cli';
import { expectProblem } from './helpers/expect-problem';
import { pidsWhoseCommandLine } from './helpers/processes';
import { spawnApp, type SpawnedApp, waitForListening } from './helpers/spawn-app';

/**
 * Zero-config development with access control on: `npm start` with nothing configured (the
 * embedded PostgreSQL, NODE_ENV=development) makes an API key with every scope, keeps it in a
 * private file beside the cluster, says where in the log without printing it, and reuses it.
 */
describe('the development API key of a zero-config start', () => {
  let dir: string;
  let keyFile: string;
  let env: Record<string, string>;
  const running: SpawnedApp[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-devkey-'));
    fs.chmodSync(dir, 0o755);
    const dataDir = path.join(dir, 'postgres');
    keyFile = `${dataDir}.dev-api-key`;
    env = {
      EMBEDDED_PG_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      NODE_ENV: 'development',
      AUTH_DISABLED: 'false',
      // Trusted, so that Fastify's request.hostname would follow X-Forwarded-Host (see the rebinding case).
      TRUST_PROXY: '127.0.0.1',
    };
  });

  afterAll(async () => {
    for (const app of running) await app.stop('SIGKILL');
    const leftovers = pidsWhoseCommandLine((line) => line.includes(dir) && line.includes('postgres'));
    for (const pid of leftovers) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const launch = async () => {
    const app = spawnApp(env);
    running.push(app);
    await waitForListening(app, 60_000);
    return app;
  };
  const readKey = () => fs.readFileSync(keyFile, 'utf8').trim();
  const post = (app: SpawnedApp, key?: string) => {
    const req = request(app.baseUrl!).post('/books');
    return (key ? req.set('X-API-Key', key) : req).send(bookInput());
  };

  it('the first start makes a key in a 0600 file that writes with every scope; the log names the file only', async () => {
    const app = await launch();
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readKey();
    expect(key).toMatch(/^bookapi_[0-9a-f]{16}_/);

    expectProblem(await post(app), 401);
    const created = await post(app, key).expect(201);
    expect(created.body).toMatchObject({ createdBy: 'development', updatedBy: 'development' });
    await request(app.baseUrl!)
      .delete(`/books/${String(created.body.id)}`)
      .set('X-API-Key', key)
      .set('If-Match', '*')
      .expect(204);

    // Swagger UI on loopback comes authorized with it, and gives it to a loopback Host only.
    const init = await request(app.baseUrl!).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain(`"value": "${key}"`);
    const rebound = await request(app.baseUrl!).get('/docs/swagger-ui-init.js').set('Host', 'attacker.example:80');
    expectProblem(rebound, 403);
    expect(rebound.text).not.toContain(key);
    const forwarded = await request(app.baseUrl!)
      .get('/docs/swagger-ui-init.js')
      .set('Host', 'attacker.example')
      .set('X-Forwarded-Host', 'localhost');
    expectProblem(forwarded, 403);
    expect(forwarded.text).not.toContain(key);

    expect(app.output()).toContain(`Development API key (books:read books:write books:delete) created in ${keyFile}`);
    expect(app.output()).toContain(`curl -H "X-API-Key: $(cat ${keyFile})"`);
    expect(app.output()).not.toContain(key);
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('a later start reuses the key; once revoked with the CLI, the next start makes a new one', async () => {
    const key = readKey();
    const second = await launch();
    expect(second.output()).toContain(`reused from ${keyFile}`);
    expect(second.output()).not.toContain(key);
    expect(readKey()).toBe(key);
    await post(second, key).expect(201);

    const revoke = await runApiKeyCli(['revoke', '--name', 'development'], {
      EMBEDDED_PG_DATA_DIR: env.EMBEDDED_PG_DATA_DIR,
      EMBEDDED_PG_PORT: env.EMBEDDED_PG_PORT,
      NODE_ENV: 'development',
    });
    expect(revoke).toMatchObject({ code: 0 });
    await expect(second.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });

    const third = await launch();
    const renewed = readKey();
    expect(renewed).not.toBe(key);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(third.output()).toContain(`created in ${keyFile}`);
    expectProblem(await post(third, key), 401);
    await post(third, renewed).expect(201);
    expect(third.output()).not.toContain(renewed);
    await expect(third.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('a key file others could read is replaced: a new 0600 file, and the old key stops working', async () => {
    const exposed = readKey();
    fs.chmodSync(keyFile, 0o644);
    const app = await launch();
    expect(app.output()).toContain('could be read or written by others: its key is replaced by a new one');
    const renewed = readKey();
    expect(renewed).not.toBe(exposed);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expectProblem(await post(app, exposed), 401);
    await post(app, renewed).expect(201);
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('with the file gone, a usable key of that name is left alone and the log says how to get a new one', async () => {
    const kept = readKey();
    fs.rmSync(keyFile);
    const app = await launch();
    expect(app.output()).toContain('an API key named "development" is in use and its secret is not in');
    expect(app.output()).toContain('npm run apikey -- revoke --name development');
    expect(fs.existsSync(keyFile)).toBe(false);
    await post(app, kept).expect(201);
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });
});
