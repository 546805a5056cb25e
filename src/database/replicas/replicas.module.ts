import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { replicasConfig } from '../../config/replicas.config';
import { ReadRouter } from './read-router';
import { ReplicaSet } from './replica-set';

/** Read replicas (DATABASE_REPLICA_URLS): their pools, their monitor and the read router. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(replicasConfig)],
  providers: [ReplicaSet, ReadRouter],
  exports: [ReplicaSet, ReadRouter],
})
export class ReplicasModule {}
