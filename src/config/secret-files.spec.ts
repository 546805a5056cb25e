import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applySecretFiles } from './secret-files';

describe('applySecretFiles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-secrets-'));
  const secret = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fills each role password into its URLs, percent-encoded, without the trailing newline', () => {
    const env: Record<string, string | undefined> = {
      DATABASE_URL: 'postgres://bookapi@pgbouncer:6432/bookapi',
      DATABASE_DIRECT_URL: 'postgres://bookapi@postgres:5432/bookapi',
      DATABASE_REPLICA_URLS: 'postgres://bookapi@replica:5432/bookapi,postgres://reader:own@replica2:5432/bookapi',
      DATABASE_PASSWORD_FILE: secret('app', 'p@ss/word\n'),
      DATABASE_MIGRATION_URL: 'postgres://bookapi_owner@postgres:5432/bookapi',
      DATABASE_MIGRATION_PASSWORD_FILE: secret('owner', 'owner-secret'),
      DATABASE_ADMIN_URL: 'postgres://postgres@postgres:5432/postgres',
      DATABASE_ADMIN_PASSWORD_FILE: secret('admin', 'admin-secret\n'),
      REDIS_URL: 'redis://redis:6379',
      REDIS_PASSWORD_FILE: secret('redis', 'redis-secret\n'),
    };
    applySecretFiles(env);
    expect(env.DATABASE_URL).toBe('postgres://bookapi:p%40ss%2Fword@pgbouncer:6432/bookapi');
    expect(decodeURIComponent(new URL(env.DATABASE_URL!).password)).toBe('p@ss/word');
    expect(env.DATABASE_DIRECT_URL).toBe('postgres://bookapi:p%40ss%2Fword@postgres:5432/bookapi');
    expect(env.DATABASE_REPLICA_URLS).toBe(
      'postgres://bookapi:p%40ss%2Fword@replica:5432/bookapi,postgres://reader:own@replica2:5432/bookapi',
    );
    expect(env.DATABASE_MIGRATION_URL).toBe('postgres://bookapi_owner:owner-secret@postgres:5432/bookapi');
    expect(env.DATABASE_ADMIN_URL).toBe('postgres://postgres:admin-secret@postgres:5432/postgres');
    expect(env.REDIS_URL).toBe('redis://:redis-secret@redis:6379');
  });

  it('changes nothing when no *_FILE is set', () => {
    const env = { DATABASE_URL: 'postgres://a:b@h/db' };
    applySecretFiles(env);
    expect(env).toEqual({ DATABASE_URL: 'postgres://a:b@h/db' });
  });

  it('refuses a missing file, an empty one, a password in two places and a file for no URL, naming each variable', () => {
    expect(() =>
      applySecretFiles({
        DATABASE_URL: 'postgres://bookapi:inline@postgres/bookapi',
        DATABASE_PASSWORD_FILE: secret('app2', 'x'),
        DATABASE_ADMIN_URL: 'postgres://postgres@postgres/postgres',
        DATABASE_ADMIN_PASSWORD_FILE: path.join(dir, 'missing'),
        DATABASE_MIGRATION_URL: 'postgres://owner@postgres/bookapi',
        DATABASE_MIGRATION_PASSWORD_FILE: secret('empty', '\n'),
        REDIS_PASSWORD_FILE: secret('redis2', 'r'),
      }),
    ).toThrow(
      'Invalid configuration: DATABASE_URL carries a password and DATABASE_PASSWORD_FILE is set: give the password in one place; ' +
        'DATABASE_PASSWORD_FILE is set but none of DATABASE_URL, DATABASE_DIRECT_URL, DATABASE_REPLICA_URLS is a URL without a password; ' +
        `DATABASE_MIGRATION_PASSWORD_FILE: ${path.join(dir, 'empty')} is empty; ` +
        `DATABASE_ADMIN_PASSWORD_FILE: cannot read ${path.join(dir, 'missing')} (ENOENT); ` +
        'REDIS_PASSWORD_FILE is set but none of REDIS_URL is a URL without a password',
    );
  });
});
