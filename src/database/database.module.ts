import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { DatabaseLifecycle } from './lifecycle/database-lifecycle';
import { DatabaseTarget } from './lifecycle/database-target';
import { ReadRetry } from './runtime/read-retry';
import { TransactionRunner } from './runtime/transaction-runner';

/**
 * DatabaseLifecycle creates, initialises and destroys the DataSource; the `DataSource` token
 * (what TypeORM users inject) is that same instance, so there is one path from creation to
 * destruction and no second owner.
 */
@Global()
@Module({
  providers: [
    {
      provide: DatabaseTarget,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => new DatabaseTarget(config),
    },
    DatabaseLifecycle,
    {
      provide: DataSource,
      inject: [DatabaseLifecycle],
      useFactory: (lifecycle: DatabaseLifecycle) => lifecycle.dataSource,
    },
    TransactionRunner,
    ReadRetry,
  ],
  exports: [DatabaseLifecycle, DataSource, DatabaseTarget, TransactionRunner, ReadRetry],
})
export class DatabaseModule {}
