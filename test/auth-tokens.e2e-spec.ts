import { createHmac, createPublicKey } from 'node:crypto';
import { bookInput, bookRow } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';
import { AUDIENCE, useIdentityProvider } from './helpers/identity-provider';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Bearer tokens against the running service and a real OpenID provider (access control on). */
describe('Bearer tokens from an OpenID provider', () => {
  const provider = useIdentityProvider();
  const fixture = useBooksApp('auth_tokens', () => ({ ...provider.idp.serviceEnv, AUTH_JWKS_COOLDOWN_MS: '0' }));
  const post = (token?: string) => {
    const req = fixture.api().post('/books');
    return (token ? req.set('Authorization', `Bearer ${token}`) : req).send(bookInput());
  };

  const forged = (claims: Record<string, unknown>, header?: Record<string, unknown>) =>
    provider.idp.sign(claims, header);

  function expectInvalidToken(res: { status: number; headers: Record<string, string> }, detail?: RegExp) {
    expectProblem(res as never, 401, { type: 'unauthorized', detail });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="bookapi", error="invalid_token"/);
  }

  it('accepts a provider token per scope: books:write creates, books:delete deletes, books:read reads', async () => {
    const writer = await provider.idp.token('books:write');
    const [header] = writer.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const created = await post(writer).expect(201);
    const id = (created.body as { id: string }).id;
    const reader = await provider.idp.token('books:read');
    await fixture.api().get(`/books/${id}`).set('Authorization', `Bearer ${reader}`).expect(200);
    const deleter = await provider.idp.token('books:delete');
    await fixture.api().delete(`/books/${id}`).set('Authorization', `Bearer ${deleter}`).expect(204);
    await expect(bookRow(fixture.db.url, id)).resolves.toBeUndefined();
  });

  it('answers 401 without a credential and 403 with the wrong scope, each with its RFC 6750 challenge', async () => {
    const none = await post().expect(401);
    expectProblem(none, 401, { type: 'unauthorized', detail: /books:write/ });
    expect(none.headers['www-authenticate']).toBe('Bearer realm="bookapi", scope="books:write"');
    const reader = await provider.idp.token('books:read');
    const wrong = await post(reader).expect(403);
    expectProblem(wrong, 403, { type: 'forbidden', detail: /books:write/ });
    expect(wrong.headers['www-authenticate']).toBe(
      'Bearer realm="bookapi", error="insufficient_scope", scope="books:write"',
    );
    const id = '00000000-0000-4000-8000-000000000000';
    const writer = await provider.idp.token('books:write');
    const noDelete = await fixture.api().delete(`/books/${id}`).set('Authorization', `Bearer ${writer}`);
    expectProblem(noDelete, 403, { type: 'forbidden', detail: /books:delete/ });
  });

  it('refuses an expired token, a token for another audience and one from another issuer', async () => {
    expectInvalidToken(await post(await forged({ exp: now() - 120 })), /expired/);
    expectInvalidToken(await post(await provider.idp.token('books:write', 'https://other.test')), /aud/);
    expectInvalidToken(await post(await forged({ iss: `${provider.idp.issuer}/other` })), /iss/);
  });

  it('refuses alg none and HS256 keyed with the public key', async () => {
    const claims = { iss: provider.idp.issuer, aud: AUDIENCE, sub: 'x', scope: 'books:write', exp: now() + 300 };
    const none = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
    expectInvalidToken(await post(none), /algorithm/);
    const publicPem = createPublicKey({ key: provider.idp.signingKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const unsigned = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: provider.idp.signingKey.kid })}.${b64(claims)}`;
    const hs256 = `${unsigned}.${createHmac('sha256', publicPem).update(unsigned).digest('base64url')}`;
    expectInvalidToken(await post(hs256), /algorithm/);
  });

  it('refuses a token whose payload was changed after signing, though the original is cached', async () => {
    const token = await provider.idp.token('books:read');
    await fixture.api().get('/books?limit=1').set('Authorization', `Bearer ${token}`).expect(200);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expectInvalidToken(await post(`${header}.${b64({ ...claims, scope: 'books:write' })}.${signature}`), /signature/);
  });

  it('accepts a plain JWT (typ JWT, scp list) and refuses an ID token', async () => {
    await post(await forged({ scope: undefined, scp: ['books:write'] }, { typ: 'JWT' })).expect(201);
    expectInvalidToken(await post(await forged({}, { typ: 'id_token+jwt' })), /not an access token/);
  });

  it('checks a credential on public reads too: a bad one is 401, and never from the query string', async () => {
    await fixture.api().get('/books?limit=1').expect(200);
    expectInvalidToken(await fixture.api().get('/books?limit=1').set('Authorization', 'Bearer not.a.jwt'), /malformed/);
    expectInvalidToken(await fixture.api().get('/health/live').set('Authorization', 'Basic dXNlcjpwdw=='));
    const writer = await provider.idp.token('books:write');
    const viaQuery = await fixture.api().post(`/books?access_token=${writer}`).send(bookInput());
    expectProblem(viaQuery, 401, { type: 'unauthorized' });
    expect(JSON.stringify(viaQuery.body)).not.toContain(writer);
    expect((viaQuery.body as { instance: string }).instance).toBe('/books?access_token=***');
  });

  it('reads the scheme in any case and with extra spaces, before and after the token is cached', async () => {
    const writer = await provider.idp.token('books:write');
    for (const authorization of [`bearer  ${writer}`, `Bearer ${writer}`, `BEARER ${writer}`]) {
      await fixture.api().post('/books').set('Authorization', authorization).send(bookInput()).expect(201);
    }
    expectInvalidToken(
      await fixture.api().post('/books').set('Authorization', `Bearer ${writer}!`).send(bookInput()),
      /must be "Bearer <token>"/,
    );
  });

  it('refuses two credentials at once, even with a token already verified', async () => {
    const writer = await provider.idp.token('books:write');
    await post(writer).expect(201);
    const both = await post(writer).set('X-API-Key', 'anything');
    expectProblem(both, 400, { type: 'bad-request', detail: /one credential/ });
    expect(both.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });
});
