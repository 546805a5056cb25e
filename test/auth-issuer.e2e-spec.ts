import { bookInput } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { IdentityProvider, useIdentityProvider } from './helpers/identity-provider';
import { type SpawnedApp, useSpawnedApp, waitForListening } from './helpers/spawn-app';
import { until } from './helpers/until';

/** Retries `attempt` until it returns true; the service retries the issuer in the background. */

/** The service and its issuer over time: key rotation, the issuer going away, and never reaching it. */
describe('Bearer tokens while the issuer rotates keys or is down (access control on)', () => {
  const provider = useIdentityProvider();
  const fixture = useBooksApp('auth_issuer', () => ({ ...provider.idp.serviceEnv, AUTH_JWKS_COOLDOWN_MS: '0' }));
  const post = (token: string) =>
    fixture.api().post('/books').set('Authorization', `Bearer ${token}`).send(bookInput());

  it('accepts a token signed with a key rotated in at the provider, without a restart', async () => {
    expect((await post(await provider.idp.token('books:write'))).status).toBe(201);
    const oldKid = provider.idp.signingKey.kid;
    await provider.idp.rotate();
    expect(provider.idp.signingKey.kid).not.toBe(oldKid);
    expect((await post(await provider.idp.token('books:write'))).status).toBe(201);
  });

  it('keeps verifying with the cached keys once the provider is stopped, and readiness stays up', async () => {
    const first = await provider.idp.token('books:write');
    const neverSeen = await provider.idp.token('books:write books:read');
    expect((await post(first)).status).toBe(201);
    await provider.idp.stop();
    try {
      expect((await post(first)).status).toBe(201);
      expect((await post(neverSeen)).status).toBe(201);
      expect((await fixture.api().get('/health/ready')).status).toBe(200);
    } finally {
      await provider.idp.start();
    }
  });
});

describe('A service that has never reached its issuer (access control on)', () => {
  const down = useIdentityProvider({ start: false });
  const spawned = useSpawnedApp('auth_cold_start');
  let app: SpawnedApp | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('answers 503 to requests that need a token, says why in readiness, and recovers once the issuer is up', async () => {
    const idp: IdentityProvider = down.idp;
    app = spawned.start({ ...idp.serviceEnv, NODE_ENV: 'test', LOG_LEVEL: 'debug', DB_SCHEMA_MODE: 'sync' });
    const baseUrl = await waitForListening(app);
    // Signed with the key the provider will publish once it is up; until then the service has none.
    const token = await idp.sign({ scope: 'books:write' });

    const refused = await fetch(`${baseUrl}/books`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(bookInput()),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem).toMatchObject({ type: '/problems/auth-unavailable', detail: expect.stringMatching(/issuer/) });
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { detail: string }).detail).toMatch(
      new RegExp(`auth: token issuer never reached.*${idp.issuer.replace(/\./g, '\\.')}`),
    );
    // Public reads do not depend on the issuer.
    expect((await fetch(`${baseUrl}/books?limit=1`)).status).toBe(200);

    await idp.start();
    const send = () =>
      fetch(`${baseUrl}/books`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(bookInput()),
      });
    await until('a write with the token', async () => (await send()).status === 201, 40_000);
    expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
    expect(app.output()).not.toContain(token);
  });

  it('logs no token or key, whether sent in a header or (wrongly) in the query string', async () => {
    const running = app as SpawnedApp;
    const baseUrl = running.baseUrl as string;
    const forged = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.e30.c2lnbmF0dXJl`;
    const apiKey = 'bk_secretvalue_0123456789';
    const responses = await Promise.all([
      fetch(`${baseUrl}/books?limit=1`, { headers: { authorization: `Bearer ${forged}` } }),
      fetch(`${baseUrl}/books/00000000-0000-4000-8000-000000000000?access_token=${forged}`),
      fetch(`${baseUrl}/books?api_key=${apiKey}`),
      fetch(`${baseUrl}/books?limit=1`, { headers: { 'x-api-key': apiKey } }),
    ]);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual([401, 404, 400, 401]);
    for (const text of [...bodies, running.output()]) {
      expect(text).not.toContain(forged);
      expect(text).not.toContain(apiKey);
    }
    // The request line is written once the response is sent; give the log a moment to arrive.
    const line = /GET \/books\/0{8}-0000-4000-8000-0{12}\?access_token=\*\*\* 404/;
    await until('the request line with the redacted query', () => line.test(running.output()), 40_000);
    expect(running.output()).not.toContain(forged);
  });
});

describe('AUTH_DISABLED=true', () => {
  const spawned = useSpawnedApp('auth_disabled');

  it('opens writes to anyone and warns at start', async () => {
    const app = spawned.start({ NODE_ENV: 'test', LOG_LEVEL: 'log', DB_SCHEMA_MODE: 'sync', AUTH_DISABLED: 'true' });
    try {
      const baseUrl = await waitForListening(app);
      const res = await fetch(`${baseUrl}/books`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bookInput()),
      });
      expect(res.status).toBe(201);
      expect(app.output()).toMatch(/WARN.*AUTH_DISABLED=true: no credential is checked/);
    } finally {
      await app.stop();
    }
  });
});
