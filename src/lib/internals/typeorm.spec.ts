import * as fs from 'node:fs';
import { Pool } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { DependencyInternalsError } from './check';
import { checkTypeormInternals, checkTypeormPool, clientOf, poolOf, releaseQueryRunner } from './typeorm';

const version = (JSON.parse(fs.readFileSync('node_modules/typeorm/package.json', 'utf8')) as { version: string })
  .version;

describe('typeorm internals', () => {
  it('holds for the installed typeorm', () => {
    expect(() => checkTypeormInternals()).not.toThrow();
  });

  it('refuses a query runner without releasePostgresConnection, naming typeorm and its version', () => {
    const runner = { release: () => Promise.resolve() } as unknown as QueryRunner;
    expect(() => checkTypeormInternals(runner)).toThrow(DependencyInternalsError);
    expect(() => checkTypeormInternals(runner)).toThrow(
      `typeorm ${version} lacks what src/lib/internals/typeorm.ts relies on (PostgresQueryRunner#releasePostgresConnection)`,
    );
  });

  it('finds the pool at driver.master, and refuses a driver that keeps it elsewhere', async () => {
    const pool = new Pool({ max: 1 });
    try {
      const initialised = { driver: { master: pool } } as unknown as DataSource;
      expect(poolOf(initialised)).toBe(pool);
      expect(() => checkTypeormPool(initialised)).not.toThrow();
      const moved = { driver: { primaryPool: pool } } as unknown as DataSource;
      expect(() => checkTypeormPool(moved)).toThrow(`typeorm ${version} lacks`);
      expect(() => checkTypeormPool(moved)).toThrow('PostgresDriver#master (the pg Pool)');
    } finally {
      await pool.end();
    }
  });

  it("answers the pg client a connected runner's connect() gives, and refuses anything else", async () => {
    const client = { query: () => undefined };
    await expect(clientOf({ connect: () => Promise.resolve(client) } as unknown as QueryRunner)).resolves.toBe(client);
    const other = { connect: () => Promise.resolve({ execute: () => undefined }) } as unknown as QueryRunner;
    await expect(clientOf(other)).rejects.toThrow(DependencyInternalsError);
    await expect(clientOf(other)).rejects.toThrow('PostgresQueryRunner#connect() answers the pg client');
  });

  it('releases with the error when the connection broke, and plainly otherwise', async () => {
    const calls: unknown[] = [];
    const runner = {
      release: () => Promise.resolve(calls.push('release')),
      releasePostgresConnection: (err?: Error) => Promise.resolve(calls.push(err)),
    } as unknown as QueryRunner;
    const broken = new Error('Connection terminated');
    await releaseQueryRunner(runner, broken);
    await releaseQueryRunner(runner);
    expect(calls).toEqual([broken, 'release']);
  });
});
