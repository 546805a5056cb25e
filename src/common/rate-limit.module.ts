import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { RateLimitStorage } from './rate-limit.storage';

/**
 * The throttler's storage as a provider, so its Redis connection is closed on shutdown. It brings
 * its own configuration: access control counts failed credentials in it, in apps without the root config too.
 */
@Module({ imports: [ConfigModule.forFeature(appConfig)], providers: [RateLimitStorage], exports: [RateLimitStorage] })
export class RateLimitModule {}
