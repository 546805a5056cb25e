import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import { ApiKeyStore } from '../src/auth/api-keys/api-key.store';
import { ApiKeyVerifier } from '../src/auth/api-keys/api-key.verifier';
import {
  API_KEY_VERIFIER,
  AuthUnavailableError,
  type CredentialVerifier,
  InvalidCredentialError,
} from '../src/auth/credentials';
import { freePort } from '../src/lib/free-port';
import { printedKey, runApiKeyCli } from './helpers/apikey-cli';
import { useBooksApp } from './helpers/books-app';
import { startTestApp, type TestApp } from './helpers/test-app';
import { query } from './helpers/test-database';

const KEY = /^bookapi_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const CACHE_MS = 300;

describe('API keys (CLI as a process, verifier of the running app)', () => {
  const fixture = useBooksApp('api_keys', { AUTH_KEY_CACHE_MS: String(CACHE_MS) });
  const cli = (...args: string[]) =>
    runApiKeyCli(args, { NODE_ENV: 'test', DATABASE_URL: fixture.db.url.toString(), DB_SCHEMA_MODE: 'sync' });
  const verifier = () => fixture.app.app.get<CredentialVerifier>(API_KEY_VERIFIER);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('create prints the key alone on the last line; only its SHA-256 is stored', async () => {
    const run = await cli(
      'create',
      '--name',
      'ci-deploy',
      '--scopes',
      'books:write books:delete',
      '--expires-in',
      '90d',
    );
    expect(run).toMatchObject({ code: 0 });
    const key = printedKey(run);
    expect(key).toMatch(KEY);
    expect(run.stdout.split(key).length).toBe(2);
    const [row] = await query<{ id: string; hash: Buffer; scopes: string[]; days: number; text: string }>(
      fixture.db.url,
      `SELECT id, secret_hash AS hash, scopes, round(extract(epoch FROM expires_at - now()) / 86400)::int AS days,
              row_to_json(api_keys)::text AS text FROM api_keys WHERE name = 'ci-deploy'`,
    );
    expect(row.hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(row).toMatchObject({ scopes: ['books:write', 'books:delete'], days: 90 });
    expect(key).toContain(row.id);
    // Nothing of the secret part is stored anywhere in the row.
    expect(row.text).not.toContain(key.slice(-43));
  });

  it('a created key verifies to its caller, with its scopes, and records its use once', async () => {
    const key = printedKey(await cli('create', '--name', 'reader', '--scopes', 'books:read'));
    const principal = await verifier().verify(key);
    expect(principal).toMatchObject({ name: 'reader', kind: 'api-key', id: `key:${key.slice(8, 24)}` });
    expect([...principal.scopes]).toEqual(['books:read']);
    await verifier().verify(key);
    const lastUsed = async () =>
      (
        await query<{ at: Date | null }>(
          fixture.db.url,
          "SELECT last_used_at AS at FROM api_keys WHERE name = 'reader'",
        )
      )[0].at;
    for (let i = 0; i < 50 && !(await lastUsed()); i++) await sleep(20);
    expect(await lastUsed()).toBeInstanceOf(Date);
    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/reader {2}id=[0-9a-f]{16} {2}scopes="books:read" .*lastUsed=20\d\d-.* {2}active/);
  });

  it('refuses malformed, unknown and tampered keys', async () => {
    const key = printedKey(await cli('create', '--name', 'tampered', '--scopes', 'books:write'));
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const unknown = `bookapi_0123456789abcdef_${'x'.repeat(43)}`;
    for (const bad of ['', 'not-a-key', key + 'x', tampered, unknown]) {
      await expect(verifier().verify(bad)).rejects.toBeInstanceOf(InvalidCredentialError);
    }
  });

  it('an expired key is refused', async () => {
    const key = printedKey(
      await cli('create', '--name', 'short-lived', '--scopes', 'books:write', '--expires-in', '1s'),
    );
    await sleep(1100);
    await expect(verifier().verify(key)).rejects.toThrow('The API key has expired');
  });

  it('a key revoked by the CLI is refused by every instance within AUTH_KEY_CACHE_MS', async () => {
    const key = printedKey(await cli('create', '--name', 'revoked', '--scopes', 'books:delete'));
    const second: TestApp = await startTestApp(fixture.db.url, { AUTH_KEY_CACHE_MS: String(CACHE_MS) });
    try {
      const other = second.app.get<CredentialVerifier>(API_KEY_VERIFIER);
      await expect(verifier().verify(key)).resolves.toMatchObject({ name: 'revoked' });
      await expect(other.verify(key)).resolves.toMatchObject({ name: 'revoked' });
      const revoke = await cli('revoke', '--name', 'revoked');
      expect(revoke).toMatchObject({ code: 0 });
      await sleep(CACHE_MS);
      await expect(verifier().verify(key)).rejects.toThrow('The API key has been revoked');
      await expect(other.verify(key)).rejects.toThrow('The API key has been revoked');
      await expect(cli('revoke', '--name', 'revoked')).resolves.toMatchObject({ code: 1 });
    } finally {
      await second.close();
    }
  });

  it('bad input gets a clear message and exit 2 (1 for a taken name), and creates nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['create', '--name', 'x', '--scopes', 'books:admin'], /Unknown scope "books:admin"/],
      [['create', '--name', 'x', '--scopes', 'books:read', '--expires-in', '90'], /--expires-in must be/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(...args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('Usage:');
    }
    const taken = await cli('create', '--name', 'reader', '--scopes', 'books:read');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/An API key named "reader" already exists/);
    const [{ count }] = await query<{ count: number }>(
      fixture.db.url,
      "SELECT count(*)::int AS count FROM api_keys WHERE name IN ('x', 'reader')",
    );
    expect(count).toBe(1);
  }, 120_000);

  it('with the database down the verifier answers AuthUnavailableError, not InvalidCredentialError', async () => {
    const pool = new Pool({
      connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
      connectionTimeoutMillis: 500,
    });
    try {
      const down = new ApiKeyVerifier(
        new ApiKeyStore({
          query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T,
        }),
        CACHE_MS,
      );
      await expect(down.verify(`bookapi_0123456789abcdef_${'x'.repeat(43)}`)).rejects.toBeInstanceOf(
        AuthUnavailableError,
      );
    } finally {
      await pool.end();
    }
  });
});
