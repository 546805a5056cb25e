import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../../config/database.config';
import { DatabaseTarget } from './database-target';

/** Resolves where the data lives, for the DataSource factory and the bootstrap alike. */
@Module({
  providers: [
    {
      provide: DatabaseTarget,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => new DatabaseTarget(config),
    },
  ],
  exports: [DatabaseTarget],
})
export class DatabaseTargetModule {}
