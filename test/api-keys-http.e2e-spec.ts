import { bookInput, bookRow } from './factories/book.factory';
import { printedKey, runApiKeyCli } from './helpers/apikey-cli';
import { useBooksApp } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';

interface Attributed {
  id: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/**
 * API keys through the running service's guard: the key names the caller (createdBy/updatedBy, the
 * rate-limit key), its scopes decide, a revoked one is refused within AUTH_KEY_CACHE_MS.
 */
describe('API keys over HTTP (guard on, keys made by the CLI)', () => {
  const fixture = useBooksApp('api_keys_http', {
    AUTH_DISABLED: 'false',
    AUTH_KEY_CACHE_MS: '300',
    THROTTLE_ENABLED: 'true',
    THROTTLE_LIMIT: '8',
    THROTTLE_WRITE_LIMIT: '4',
    AUTH_FAILURE_LIMIT: '3',
    TRUST_PROXY: '127.0.0.1',
  });
  const keys: Record<string, string> = {};
  const create = async (name: string, scopes: string) => {
    const run = await runApiKeyCli(['create', '--name', name, '--scopes', scopes], {
      NODE_ENV: 'test',
      DATABASE_URL: fixture.db.url.toString(),
      DB_SCHEMA_MODE: 'sync',
    });
    expect(run.code).toBe(0);
    keys[name] = printedKey(run);
  };
  const post = (key: string | undefined, ip: string) => {
    const req = fixture.api().post('/books').set('X-Forwarded-For', ip);
    return (key ? req.set('X-API-Key', key) : req).send(bookInput());
  };

  beforeAll(async () => {
    await create('editor', 'books:write books:delete');
    await create('reviser', 'books:write');
    await create('reader', 'books:read');
  }, 180_000);

  it('the server records the key name as createdBy and updatedBy', async () => {
    const created = await post(keys.editor, '198.51.100.1').expect(201);
    const book = created.body as Attributed;
    expect(book).toMatchObject({ createdBy: 'editor', updatedBy: 'editor' });
    const patched = await fixture
      .api()
      .patch(`/books/${book.id}`)
      .set('X-API-Key', keys.reviser)
      .set('If-Match', '*')
      .send({ title: 'Revised' })
      .expect(200);
    expect(patched.body).toMatchObject({ createdBy: 'editor', updatedBy: 'reviser' });
    await expect(bookRow(fixture.db.url, book.id)).resolves.toMatchObject({
      created_by: 'editor',
      updated_by: 'reviser',
    });
    // books:delete is not among reviser's scopes.
    expectProblem(await fixture.api().delete(`/books/${book.id}`).set('X-API-Key', keys.reviser), 403);
    await fixture.api().delete(`/books/${book.id}`).set('X-API-Key', keys.editor).expect(204);
  });

  it('a key without the scope is 403, an unknown key 401, and neither writes', async () => {
    const forbidden = await post(keys.reader, '198.51.100.2');
    expectProblem(forbidden, 403);
    expect(forbidden.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="books:write"/);
    const unknown = await post(`bookapi_0123456789abcdef_${'A'.repeat(43)}`, '198.51.100.2');
    expectProblem(unknown, 401);
    expect(unknown.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(JSON.stringify(unknown.body)).not.toContain('A'.repeat(43));
  });

  it('the write budget is per key, whatever the IP; another caller on the same IP keeps its own', async () => {
    await create('limited', 'books:write');
    const statuses: number[] = [];
    for (const ip of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      statuses.push((await post(keys.limited, ip)).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201]);
    expectProblem(await post(keys.limited, '203.0.113.4'), 429, { detail: /Too many writes/ });
    // The same IP with another key, and anonymous reads from it, have budgets of their own.
    expect((await post(keys.editor, '203.0.113.4')).status).toBe(201);
    expect((await fixture.api().get('/books?limit=1').set('X-Forwarded-For', '203.0.113.4')).status).toBe(200);
  }, 120_000);

  it('a key revoked with the CLI is refused (401) once AUTH_KEY_CACHE_MS has passed', async () => {
    await create('short-term', 'books:write');
    await post(keys['short-term'], '192.0.2.1').expect(201);
    const revoke = await runApiKeyCli(['revoke', '--name', 'short-term'], {
      NODE_ENV: 'test',
      DATABASE_URL: fixture.db.url.toString(),
      DB_SCHEMA_MODE: 'sync',
    });
    expect(revoke.code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectProblem(await post(keys['short-term'], '192.0.2.1'), 401);
  }, 120_000);

  it('invalid credentials are limited per address: past AUTH_FAILURE_LIMIT, its credentials get 429 unchecked', async () => {
    const guess = (ip: string) => post(`bookapi_${'0'.repeat(16)}_${'G'.repeat(43)}`, ip);
    for (let i = 0; i < 3; i++) expectProblem(await guess('203.0.113.50'), 401);
    const limited = await guess('203.0.113.50');
    expectProblem(limited, 429, { detail: /Too many invalid credentials/ });
    expect(limited.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    // Even a valid key from that address is refused until the window ends; other addresses are not.
    expectProblem(await post(keys.reviser, '203.0.113.50'), 429, { detail: /Too many invalid credentials/ });
    expectProblem(await guess('203.0.113.51'), 401);
    await post(keys.reviser, '203.0.113.51').expect(201);
  });
});
