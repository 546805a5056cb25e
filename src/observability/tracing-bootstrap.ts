import * as fs from 'node:fs';
import { parseEnv } from 'node:util';
import { buildObservabilityConfig } from '../config/observability.config';
import { startTracing } from './tracing';

/**
 * Imported first by main.ts: instrumentation must be in place before `pg` and `http` load, which
 * happens when AppModule is imported, before ConfigModule has read `.env`. So `.env` is read
 * here too, with the real environment winning, as ConfigModule does.
 */
function environment(): Record<string, string | undefined> {
  if (process.env.NODE_ENV === 'test' || !fs.existsSync('.env')) return process.env;
  return { ...parseEnv(fs.readFileSync('.env', 'utf8')), ...process.env };
}

try {
  startTracing(buildObservabilityConfig(environment()));
} catch {
  // A bad value is reported by bootstrap()'s configuration check, as one line.
}
