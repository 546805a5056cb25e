import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { idempotencyConfig } from '../config/idempotency.config';
import { IdempotencyPruner } from './idempotency-pruner';
import { IdempotencyService } from './idempotency.service';

@Module({
  imports: [ConfigModule.forFeature(idempotencyConfig)],
  providers: [IdempotencyService, IdempotencyPruner],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
