import type { FastifyBaseLogger } from 'fastify';
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type LogFn,
  type Logger as Pino,
  type LoggerOptions,
} from 'pino';
import type { AppConfig } from '../config/app.config';
import { scrubSecrets } from '../lib/url';
import { activeTraceFields } from './trace-context';
import { tracingEnabled } from './tracing';

const PINO_LEVEL = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' } as const;

/** Secrets known to the process (database passwords); no log line ever shows them. */
const secrets = new Set<string>();

export function addLogSecret(secret: string | undefined): void {
  if (secret) secrets.add(secret);
}

export function scrubLogText(text: string): string {
  return secrets.size === 0 ? text : scrubSecrets(text, [...secrets]);
}

function scrubArgument(value: unknown): unknown {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return scrubLogText(value);
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, field] of Object.entries(copy)) {
      if (field instanceof Error) {
        // Still an Error, so pino serialises it as one and takes its message as the line's.
        const clean = new Error(scrubLogText(field.message));
        clean.stack = scrubLogText(field.stack ?? '');
        copy[key] = clean;
      } else if (typeof field === 'string') copy[key] = scrubLogText(field);
      else if (field && typeof field === 'object') {
        copy[key] = JSON.parse(scrubLogText(JSON.stringify(field))) as unknown;
      }
    }
    return copy;
  }
  return value;
}

/**
 * The one pino logger of the process: Fastify's logger and, through nestjs-pino, Nest's.
 * JSON lines (level name, epoch-ms `timestamp`, `message`, `context`) in production, pino-pretty in
 * development; with tracing on, every line made inside a request carries `trace_id` and `span_id`.
 * Written synchronously, so the line before a process.exit() is never lost.
 */
export function createPino(config: Pick<AppConfig, 'logFormat' | 'logLevel'>): Pino {
  const options: LoggerOptions = {
    level: PINO_LEVEL[config.logLevel],
    messageKey: 'message',
    base: { pid: process.pid },
    timestamp: () => `,"timestamp":${Date.now()}`,
    formatters: { level: (label) => ({ level: label }) },
    ...(tracingEnabled() && { mixin: () => activeTraceFields() }),
    // Headers and fields that may hold credentials, wherever Fastify or a caller logs them.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        'headers.cookie',
        'password',
        '*.password',
      ],
      censor: '***',
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map(scrubArgument) as Parameters<typeof method>);
      },
    },
  };
  if (config.logFormat === 'json') return pino(options, pino.destination({ dest: 1, sync: true }));
  // Loaded only for readable logs: production's JSON never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(
    options,
    pretty({
      sync: true,
      colorize: !!process.stdout.isTTY,
      messageKey: 'message',
      timestampKey: 'timestamp',
      translateTime: 'SYS:HH:MM:ss.l',
      // The pid stays (as in Nest's own logger): a restart under nest start --watch shows as a new one.
      ignore: 'hostname,context,trace_id,span_id',
      messageFormat: '{if context}[{context}] {end}{message}{if trace_id} trace_id={trace_id} span_id={span_id}{end}',
    }),
  );
}

/**
 * Fastify's childLoggerFactory: the per-request logger (bindings: the request id), made on its
 * first use. pino's child() serialises its bindings through the redaction paths, several µs that
 * every request paid while almost none logs through its own logger.
 */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}

const LOG_METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

class LazyChildLogger implements FastifyBaseLogger {
  // On the prototype (below): one object per request, no closures.
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  declare silent: LogFn;
  private made?: FastifyBaseLogger;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

for (const method of LOG_METHODS) {
  LazyChildLogger.prototype[method] = function (this: LazyChildLogger, ...args: unknown[]): void {
    const real = this.real as unknown as Record<typeof method, (...args: unknown[]) => void>;
    real[method](...args);
  };
}
