import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app.config';

/**
 * At most THROTTLE_LIMIT requests per client IP per THROTTLE_TTL_MS across all routes, counted
 * in Redis across instances when REDIS_URL is set, else in memory per instance (rate-limit.storage.ts);
 * beyond that 429 problem+json with Retry-After. Health probes are
 * never limited: a throttled probe would restart a healthy instance.
 */
export function throttlerOptions(config: Pick<AppConfig, 'throttle'>): ThrottlerModuleOptions {
  const { limit, ttlMs } = config.throttle;
  return {
    throttlers: [{ limit, ttl: ttlMs }],
    // THROTTLE_ENABLED=false is handled where the guard is applied (configureApp): it is not.
    skipIf: isHealthProbe,
    // One budget per client, not one per route (the library's default key includes the handler).
    generateKey: (_context, tracker, throttler) => `${throttler}:${tracker}`,
    errorMessage: `Too many requests: at most ${limit} per ${ttlMs / 1000} s; retry after Retry-After seconds`,
  };
}

function isHealthProbe(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return false;
  const url = context.switchToHttp().getRequest<FastifyRequest>().url;
  return url === '/health' || url.startsWith('/health/');
}

/**
 * The library's guard, told to skip before it reads any metadata: its own order reads each
 * throttler's route metadata (reflect-metadata) on every request before calling skipIf. Applied
 * only when THROTTLE_ENABLED (configureApp), so with throttling off no route runs a guard.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(this.commonOptions.skipIf?.(context) ?? false);
  }
}
