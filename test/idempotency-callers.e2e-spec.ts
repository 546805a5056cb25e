import { randomUUID } from 'node:crypto';
import { bookInput } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { useIdentityProvider } from './helpers/identity-provider';
import { query } from './helpers/test-database';

/** With access control on, a key belongs to the caller that used it (its principal). */
describe('Idempotency-Key: scoped by caller (real PostgreSQL, real OpenID provider)', () => {
  const provider = useIdentityProvider();
  const fixture = useBooksApp('idempotency_callers', () => provider.idp.serviceEnv);

  /** The service fetches the issuer's keys after it starts; until then a token is a 503, not a 401. */
  async function issuerReached(token: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      // An empty body passes access control, then fails validation: nothing is written.
      const res = await fixture.api().post('/books').set('Authorization', `Bearer ${token}`).send({});
      if (res.status !== 503) return void expect(res.status).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the service never reached the token issuer');
  }

  it('two callers using the same key each get their own book and their own replay', async () => {
    const [alice, bob] = await Promise.all([provider.idp.sign({ sub: 'alice' }), provider.idp.sign({ sub: 'bob' })]);
    const key = randomUUID();
    const books = { alice: bookInput(), bob: bookInput() };
    const post = (token: string, book: object) =>
      fixture.api().post('/books').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(book);

    await issuerReached(alice);
    const first = { alice: await post(alice, books.alice), bob: await post(bob, books.bob) };
    expect([first.alice.status, first.bob.status]).toEqual([201, 201]);
    expect(first.bob.headers['idempotent-replayed']).toBeUndefined();
    expect(first.bob.text).not.toBe(first.alice.text);

    const retry = { alice: await post(alice, books.alice), bob: await post(bob, books.bob) };
    expect(retry.alice.text).toBe(first.alice.text);
    expect(retry.bob.text).toBe(first.bob.text);
    expect([retry.alice.headers['idempotent-replayed'], retry.bob.headers['idempotent-replayed']]).toEqual([
      'true',
      'true',
    ]);
    const scopes = await query<{ scope: string }>(
      fixture.db.url,
      'SELECT scope FROM idempotency_keys WHERE key = $1 ORDER BY scope',
      [key],
    );
    expect(scopes.map((row) => row.scope)).toEqual([
      `token:${provider.idp.issuer} alice`,
      `token:${provider.idp.issuer} bob`,
    ]);
  });
});
