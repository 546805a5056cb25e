import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeysModule } from './auth/api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { BooksModule } from './books/books.module';
import { CommonModule } from './common/common.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { RateLimitModule } from './common/rate-limit.module';
import { RateLimitStorage } from './common/rate-limit.storage';
import { RateLimitGuard, throttlerOptions } from './common/throttler-options';
import { AppConfig, appConfig } from './config/app.config';
import { databaseConfig } from './config/database.config';
import { DatabaseModule } from './database/database.module';
import { ReplicasModule } from './database/replicas/replicas.module';
import { HealthModule } from './health/health.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      load: [appConfig, databaseConfig],
      // Tests set their environment explicitly; a developer's .env must not leak into them.
      ignoreEnvFile: process.env.NODE_ENV === 'test',
    }),
    ThrottlerModule.forRootAsync({
      imports: [RateLimitModule],
      inject: [appConfig.KEY, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage) => ({ ...throttlerOptions(config), storage }),
    }),
    CommonModule,
    DatabaseModule,
    ReplicasModule,
    ApiKeysModule,
    AuthModule,
    BooksModule,
    HealthModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    // Applied as a global guard by configureApp when THROTTLE_ENABLED (not APP_GUARD): with
    // throttling off, the routes then run with no guard at all.
    RateLimitGuard,
  ],
})
export class AppModule {}
