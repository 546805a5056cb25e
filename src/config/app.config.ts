import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-parsers';
import { parseTrustProxy, type TrustProxy } from './trust-proxy';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  /** Largest accepted request body in bytes; a larger one is answered 413. */
  bodyLimitBytes: number;
  /** How long SIGTERM waits for in-flight requests before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** After SIGTERM, how long requests are still served while readiness is already 503 (for a load balancer). */
  shutdownDrainDelayMs: number;
  /** Origins allowed by CORS; empty means no cross-origin access. */
  corsOrigins: string[];
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  logFormat: 'json' | 'pretty';
  /**
   * Per caller per ttlMs: `limit` requests, and `writeLimit` units of writes (a book each). redisUrl:
   * where the counters live so the limits hold across instances; unset means in memory.
   */
  throttle: { enabled: boolean; limit: number; writeLimit: number; ttlMs: number; redisUrl?: URL };
  /** Longest time a client may take to send a whole request (headers and body); then 408 and close. */
  requestTimeoutMs: number;
  /** Longest time a client may take to send the headers (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** A socket with no traffic for this long is closed. */
  connectionTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Proxies whose X-Forwarded-For is believed; undefined ignores forwarded headers. */
  trustProxy?: TrustProxy;
  /** Swagger UI at /docs and the OpenAPI document at /docs-json; off in production unless DOCS_ENABLED=true. */
  docsEnabled: boolean;
}

export function buildAppConfig(env: Record<string, string | undefined>): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const production = nodeEnv === 'production';
  const config: AppConfig = {
    nodeEnv,
    host: read.string('HOST', production ? '0.0.0.0' : '127.0.0.1'),
    port: read.int('PORT', 3000, 0, 65535),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    shutdownDrainDelayMs: read.int('SHUTDOWN_DRAIN_DELAY_MS', 0, 0, 600_000),
    corsOrigins: (read.string('CORS_ORIGINS') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    logLevel: read.oneOf(
      'LOG_LEVEL',
      ['error', 'warn', 'log', 'debug', 'verbose'],
      nodeEnv === 'test' ? 'warn' : 'log',
    ),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'pretty'], production ? 'json' : 'pretty'),
    throttle: {
      enabled: read.bool('THROTTLE_ENABLED', true),
      limit: read.int('THROTTLE_LIMIT', 1000, 1, 1_000_000),
      writeLimit: read.int('THROTTLE_WRITE_LIMIT', 1000, 1, 1_000_000),
      ttlMs: read.int('THROTTLE_TTL_MS', 60_000, 1000, 3_600_000),
      redisUrl: redisUrl(read),
    },
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    headersTimeoutMs: 0,
    connectionTimeoutMs: read.int('CONNECTION_TIMEOUT_MS', 60_000, 100, 600_000),
    keepAliveTimeoutMs: read.int('KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    docsEnabled: read.bool('DOCS_ENABLED', !production),
  };
  config.headersTimeoutMs = Math.min(config.requestTimeoutMs, 10_000);
  const trustProxy = parseTrustProxy(read.string('TRUST_PROXY'));
  if (trustProxy.problem) read.problem(trustProxy.problem);
  if (trustProxy.value !== undefined) config.trustProxy = trustProxy.value;
  if (config.shutdownDrainDelayMs >= config.shutdownTimeoutMs) {
    read.problem('SHUTDOWN_DRAIN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (the deadline counts from the signal)');
  }
  for (const origin of config.corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      read.problem(`CORS_ORIGINS entries must look like https://host[:port] (got "${origin}")`);
    }
  }
  read.done();
  return config;
}

export const appConfig = registerAs('app', () => buildAppConfig(process.env));

function redisUrl(read: EnvReader): URL | undefined {
  const value = read.string('REDIS_URL');
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return url;
  } catch {
    // Reported below without echoing the value, which may hold a password.
  }
  read.problem('REDIS_URL must look like redis://[:password@]host[:port][/db]');
  return undefined;
}
