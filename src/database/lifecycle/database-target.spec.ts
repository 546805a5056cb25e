import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDatabaseConfig } from '../../config/database.config';
import { DatabaseTarget } from './database-target';

describe('DatabaseTarget', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-target-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes nothing to disk when constructed for the embedded server; the password file comes with the first URL', () => {
    const dataDir = path.join(dir, 'cluster');
    const target = new DatabaseTarget(buildDatabaseConfig({ EMBEDDED_PG_DATA_DIR: dataDir }));
    expect(target.embedded).toBeDefined();
    expect(fs.readdirSync(dir)).toEqual([]);

    const url = target.url;
    expect(fs.readdirSync(dir)).toEqual(['cluster.password']);
    expect(decodeURIComponent(url.password)).toBe(fs.readFileSync(`${dataDir}.password`, 'utf8').trim());
    expect(target.adminUrl.password).toBe(url.password);
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
