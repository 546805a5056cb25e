import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal';
import type { AppConfig } from '../config/app.config';

/** The write budget's throttler: POST, PUT, PATCH and DELETE only, counted in units (a book each). */
export const WRITES = 'writes';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UNITS_KEY = 'bookapi:rate-limit-units';

/** How many units of the write budget a request to this route costs, from its (not yet validated) body. */
export const RateLimitUnits = (units: (body: unknown) => number) => SetMetadata(UNITS_KEY, units);

/**
 * Two budgets per caller per THROTTLE_TTL_MS, across all routes: THROTTLE_LIMIT requests, and
 * THROTTLE_WRITE_LIMIT units of writes (one per book written, so a batch of n books costs n). A
 * caller is its principal when it presented a valid credential, else its IP (an IPv6 client's /64,
 * which one subscriber usually holds whole). Counted in Redis across instances when REDIS_URL is
 * set, else in memory per instance (rate-limit.storage.ts); beyond that 429 problem+json with
 * Retry-After. Health probes are never limited: a throttled probe would restart a healthy instance.
 */
export function throttlerOptions(config: Pick<AppConfig, 'throttle'>): ThrottlerModuleOptions {
  const { limit, writeLimit, ttlMs } = config.throttle;
  const window = `${ttlMs / 1000} s`;
  return {
    throttlers: [
      { name: 'default', limit, ttl: ttlMs },
      { name: WRITES, limit: writeLimit, ttl: ttlMs, skipIf: (context) => !isWrite(context) },
    ],
    // THROTTLE_ENABLED=false is handled where the guard is applied (configureApp): it is not.
    skipIf: isHealthProbe,
    // One budget per caller, not one per route (the library's default key includes the handler).
    generateKey: (_context, tracker, throttler) => `${throttler}:${tracker}`,
    errorMessage: (_context, detail: ThrottlerLimitDetail) =>
      detail.key.startsWith(`${WRITES}:`)
        ? `Too many writes: at most ${writeLimit} books written per ${window} (a batch counts each book); retry after Retry-After seconds`
        : `Too many requests: at most ${limit} per ${window}; retry after Retry-After seconds`,
  };
}

function isHealthProbe(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return false;
  const url = context.switchToHttp().getRequest<FastifyRequest>().url;
  return url === '/health' || url.startsWith('/health/');
}

function isWrite(context: ExecutionContext): boolean {
  return WRITE_METHODS.has(context.switchToHttp().getRequest<FastifyRequest>().method);
}

/** A storage that can count several units in one step (RateLimitStorage); any other counts one. */
interface UnitStorage {
  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    units?: number,
  ): ReturnType<ThrottlerGuard['storageService']['increment']>;
}

/**
 * The library's guard, told to skip before it reads any metadata: its own order reads each
 * throttler's route metadata (reflect-metadata) on every request before calling skipIf. Applied
 * only when THROTTLE_ENABLED (configureApp), so with throttling off no route runs a guard. It runs
 * after the access-control guard, which sets the request's principal.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(this.commonOptions.skipIf?.(context) ?? false);
  }

  /** `principal:<id>` for a caller with a valid credential, else `ip:<address or IPv6 /64>`. */
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const raw = req.raw;
    const principal = principalOf(req) ?? (raw && typeof raw === 'object' ? principalOf(raw) : undefined);
    return principal ? `principal:${principal.id}` : `ip:${await super.getTracker(req)}`;
  }

  /** The library's own steps, with the write budget counted in units and one Retry-After for both budgets. */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const name = throttler.name ?? 'default';
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const units = name === WRITES ? this.unitsOf(context, req) : 1;
    const storage: UnitStorage = this.storageService;
    const record = await storage.increment(key, ttl, limit, blockDuration, name, units);
    const suffix = name === 'default' ? '' : `-${name}`;
    if (record.isBlocked) {
      void reply.header('Retry-After', record.timeToBlockExpire);
      throw new ThrottlerException(await this.getErrorMessage(context, { limit, ttl, key, tracker, ...record }));
    }
    void reply
      .header(`X-RateLimit-Limit${suffix}`, limit)
      .header(`X-RateLimit-Remaining${suffix}`, Math.max(0, limit - record.totalHits))
      .header(`X-RateLimit-Reset${suffix}`, record.timeToExpire);
    return true;
  }

  private unitsOf(context: ExecutionContext, req: FastifyRequest): number {
    const units = this.reflector.get<((body: unknown) => number) | undefined>(UNITS_KEY, context.getHandler());
    return units ? Math.max(1, Math.floor(units(req.body))) : 1;
  }
}
