/**
 * `npm run apikey -- create|list|revoke`: manages API keys in the database the service uses (the
 * embedded one included, see service-database.ts). `create` prints the key once, alone on the last
 * line of stdout, after everything else has been said and closed. Exit 0, 1 on failure, 2 on bad input.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import { parseApiKeyArgs, USAGE, UsageError, type ApiKeyCommand } from '../auth/api-keys/api-key-args';
import { type ApiKeyRecord, ApiKeyStore } from '../auth/api-keys/api-key.store';
import { AppLogger } from '../common/app-logger';
import { buildAppConfig } from '../config/app.config';
import { describeError } from '../lib/describe-error';
import { StartupError } from '../lib/startup-error';
import { openServiceDatabase } from './service-database';

const CONTEXT = 'ApiKey';

/** What to print on stdout: `lines` first, then the key alone when one was made. */
interface Outcome {
  lines: string[];
  key?: string;
}

async function run(command: ApiKeyCommand, store: ApiKeyStore): Promise<Outcome> {
  if (command.command === 'list') {
    const keys = await store.list();
    return { lines: keys.length ? keys.map(describeKey) : ['No API keys'] };
  }
  if (command.command === 'revoke') {
    if (await store.revoke(command.name)) {
      return { lines: [`Revoked API key "${command.name}"; every instance refuses it within AUTH_KEY_CACHE_MS`] };
    }
    const existing = await store.findByName(command.name);
    throw new UsageError(
      existing ? `API key "${command.name}" is already revoked` : `No API key is named "${command.name}"`,
    );
  }
  const expiresAt = command.expiresInMs === undefined ? null : new Date(Date.now() + command.expiresInMs);
  const created = await store.create(command.name, command.scopes, expiresAt);
  if (!created) throw new UsageError(`An API key named "${command.name}" already exists (names are never reused)`);
  return {
    lines: [
      `Created API key "${command.name}" (id ${created.id}) with scopes ${command.scopes.join(' ')}, ` +
        (expiresAt ? `expiring ${expiresAt.toISOString()}` : 'never expiring') +
        '. Send it in the X-API-Key header. It is shown once, below; only its hash is stored:',
    ],
    key: created.key,
  };
}

function describeKey(key: ApiKeyRecord): string {
  const now = Date.now();
  const status = key.revokedAt
    ? `revoked ${key.revokedAt.toISOString()}`
    : key.expiresAt && key.expiresAt.getTime() <= now
      ? `expired ${key.expiresAt.toISOString()}`
      : 'active';
  return [
    key.name,
    `id=${key.id}`,
    `scopes="${key.scopes.join(' ')}"`,
    `created=${key.createdAt.toISOString()}`,
    `expires=${key.expiresAt?.toISOString() ?? 'never'}`,
    `lastUsed=${key.lastUsedAt?.toISOString() ?? 'never'}`,
    status,
  ].join('  ');
}

async function main(argv: string[]): Promise<number> {
  if (process.env.NODE_ENV !== 'test' && fs.existsSync('.env')) process.loadEnvFile('.env');
  let logger = AppLogger.forConfig({ logFormat: 'pretty', logLevel: 'warn' });
  let command: ApiKeyCommand;
  try {
    command = parseApiKeyArgs(argv);
  } catch (error) {
    process.stderr.write(`apikey: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  let outcome: Outcome | undefined;
  let failure: unknown;
  try {
    // The service's log settings, but quiet unless asked: stdout is for the answer.
    const config = buildAppConfig({ LOG_LEVEL: 'warn', ...process.env });
    logger = AppLogger.forConfig(config);
    Logger.overrideLogger(logger);
    const lifecycle = await openServiceDatabase(process.env);
    try {
      outcome = await run(command, new ApiKeyStore(lifecycle.dataSource));
    } finally {
      await lifecycle.onApplicationShutdown();
    }
  } catch (error) {
    failure = error;
  }
  if (outcome) {
    for (const line of outcome.lines) process.stdout.write(`${line}\n`);
    if (outcome.key) process.stdout.write(`${outcome.key}\n`);
    return 0;
  }
  if (failure instanceof UsageError) {
    process.stderr.write(`apikey: ${failure.message}\n`);
    return 1;
  }
  const message = failure instanceof StartupError ? failure.message : AppLogger.scrub(describeError(failure));
  logger.fatal(`apikey failed: ${message}`, CONTEXT);
  return 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
