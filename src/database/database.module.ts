import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig } from '../config/database.config';
import { buildDataSourceOptions } from './runtime/data-source-options';
import { DatabaseBootstrap } from './lifecycle/database-bootstrap';
import { DatabaseTarget } from './lifecycle/database-target';
import { DatabaseTargetModule } from './lifecycle/database-target.module';
import { TransactionRunner } from './runtime/transaction-runner';
import { TypeOrmNestLogger } from './runtime/typeorm-logger';

@Global()
@Module({
  imports: [
    DatabaseTargetModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseTargetModule],
      inject: [databaseConfig.KEY, DatabaseTarget],
      useFactory: (config: ConfigType<typeof databaseConfig>, target: DatabaseTarget) => ({
        ...buildDataSourceOptions(config, target.url, new TypeOrmNestLogger(config.logging)),
        // DatabaseBootstrap initialises it once the database exists and answers.
        manualInitialization: true,
      }),
    }),
  ],
  providers: [DatabaseBootstrap, TransactionRunner],
  exports: [DatabaseBootstrap, TransactionRunner, DatabaseTargetModule],
})
export class DatabaseModule {}
