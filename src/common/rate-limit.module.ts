import { Module } from '@nestjs/common';
import { RateLimitStorage } from './rate-limit.storage';

/** The throttler's storage as a provider, so its Redis connection is closed on shutdown. */
@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
export class RateLimitModule {}
