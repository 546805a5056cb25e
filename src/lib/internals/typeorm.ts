import type { ClientBase, Pool } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { assertInternals, installedVersion, isFunction } from './check';

// Types TypeORM's index does not export.
export type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
export type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';

type PostgresQueryRunner = QueryRunner & { releasePostgresConnection?: (err?: Error) => Promise<void> };

/** TypeORM's pg Pool (`driver.master`), once the DataSource is initialised. */
export function poolOf(dataSource: DataSource): Pool | undefined {
  return (dataSource.driver as unknown as { master?: Pool }).master;
}

/**
 * Releases a query runner. With `broken`, the error goes to pg-pool so it discards the connection
 * instead of pooling it; TypeORM's public release() cannot pass one.
 */
export function releaseQueryRunner(queryRunner: QueryRunner, broken?: Error): Promise<void> {
  const postgresRunner = queryRunner as PostgresQueryRunner;
  return broken && postgresRunner.releasePostgresConnection
    ? postgresRunner.releasePostgresConnection(broken)
    : queryRunner.release();
}

/**
 * The pg client a connected query runner holds, to run a statement on its transaction without
 * TypeORM's per-query work. QueryRunner#connect() is public but typed `any`: its answer is checked
 * on every call (one property read) rather than trusted, and a runner without a client stops the
 * request with the same message as the startup self-checks.
 */
export async function clientOf(queryRunner: QueryRunner): Promise<ClientBase> {
  const client = (await queryRunner.connect()) as Partial<ClientBase> | undefined;
  if (!isFunction(client?.query)) {
    assertInternals('typeorm', () => installedVersion('typeorm'), 'typeorm.ts', {
      'PostgresQueryRunner#connect() answers the pg client': () => false,
    });
  }
  return client as ClientBase;
}

/** A PostgreSQL query runner that never connects (no connection is made until it is used). */
function sampleQueryRunner(): QueryRunner {
  return new DataSource({ type: 'postgres' }).driver.createQueryRunner('master');
}

/** Before connecting: the internals that exist without a database. */
export function checkTypeormInternals(queryRunner: QueryRunner = sampleQueryRunner()): void {
  assertInternals('typeorm', () => installedVersion('typeorm'), 'typeorm.ts', {
    'PostgresQueryRunner#releasePostgresConnection': () =>
      isFunction((queryRunner as PostgresQueryRunner).releasePostgresConnection),
  });
}

/** Once the DataSource is initialised: its pool is where this file reads it. */
export function checkTypeormPool(dataSource: DataSource): void {
  const pool = poolOf(dataSource) as Partial<Pool> | undefined;
  assertInternals('typeorm', () => installedVersion('typeorm'), 'typeorm.ts', {
    'PostgresDriver#master (the pg Pool)': () =>
      !!pool &&
      isFunction(pool.connect) &&
      isFunction(pool.on) &&
      typeof pool.totalCount === 'number' &&
      typeof pool.idleCount === 'number' &&
      typeof pool.waitingCount === 'number',
  });
}
