import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDatabaseConfig } from '../../config/database.config';
import { DatabaseTarget } from './database-target';

describe('DatabaseTarget', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-target-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes nothing to disk when constructed for the embedded server; each role gets its own password file with its first URL', () => {
    const dataDir = path.join(dir, 'cluster');
    const target = new DatabaseTarget(buildDatabaseConfig({ EMBEDDED_PG_DATA_DIR: dataDir }));
    expect(target.embedded).toBeDefined();
    expect(fs.readdirSync(dir)).toEqual([]);

    const url = target.url;
    expect(fs.readdirSync(dir)).toEqual(['cluster.bookapi_app.password']);
    expect(decodeURIComponent(url.password)).toBe(fs.readFileSync(`${dataDir}.bookapi_app.password`, 'utf8').trim());
    const [owner, admin] = [target.migrationUrl, target.adminUrl];
    expect(fs.readdirSync(dir).sort()).toEqual([
      'cluster.bookapi_app.password',
      'cluster.bookapi_owner.password',
      'cluster.password',
    ]);
    expect([url.username, owner.username, admin.username]).toEqual(['bookapi_app', 'bookapi_owner', 'postgres']);
    expect(new Set([url.password, owner.password, admin.password]).size).toBe(3);
    expect(target.twoRoles).toBe(true);
  });

  it('runs the schema step as DATABASE_MIGRATION_URL when set, else on the direct connection', () => {
    const two = new DatabaseTarget(
      buildDatabaseConfig({
        DATABASE_URL: 'postgres://app:p@db.example:5433/books_test',
        DATABASE_MIGRATION_URL: 'postgres://owner:q@db.example:5433/books_test',
      }),
    );
    expect([two.twoRoles, two.migrationUrl.username, two.adminUrl.username]).toEqual([true, 'owner', 'owner']);
    expect(two.secrets.sort()).toEqual(['p', 'q']);
    const one = new DatabaseTarget(
      buildDatabaseConfig({ DATABASE_URL: 'postgres://app:p@db.example:5433/books_test' }),
    );
    expect([one.twoRoles, one.migrationUrl.username]).toEqual([false, 'app']);
  });

  it('uses DATABASE_URL as given and has no embedded server', () => {
    const target = new DatabaseTarget(
      buildDatabaseConfig({ DATABASE_URL: 'postgres://u:p@db.example:5433/books_test' }),
    );
    expect(target.embedded).toBeUndefined();
    expect(target.databaseName).toBe('books_test');
    expect(target.adminUrl.pathname).toBe('/postgres');
    expect(target.secrets).toEqual(['p']);
  });
});
