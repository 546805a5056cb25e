import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppLogger } from '../../common/app-logger';
import { describeError } from '../../lib/describe-error';
import { appConfig, type AppConfig } from '../../config/app.config';
import { authConfig, type AuthConfig } from '../../config/auth.config';
import { databaseConfig, type DatabaseConfig } from '../../config/database.config';
import { DatabaseTarget } from '../../database/lifecycle/database-target';
import { SCOPES } from '../route-policy';
import { apiKeyIdOf, apiKeyMatches } from './api-key-secret';
import { ApiKeyStore } from './api-key.store';

/** The name the development key is stored and audited under (createdBy/updatedBy). */
export const DEVELOPMENT_KEY_NAME = 'development';
const ALL_SCOPES = [SCOPES.read, SCOPES.write, SCOPES.delete];
const SAMPLE_BOOK = '{"title":"Dune","author":"Frank Herbert","isbn":"9780441013593","publishedYear":1965}';

/** Where the development key's secret is kept: beside the embedded cluster's password files. */
export function developmentKeyFile(dataDir: string): string {
  return `${dataDir}.dev-api-key`;
}

/**
 * Zero-config development: with the embedded PostgreSQL (no DATABASE_URL), outside production and
 * with access control on, the service makes itself an API key with every scope, keeps its secret
 * in a file only its user may read, and reuses it on later starts (a new one when the file is gone
 * or its key was revoked, expired or deleted). The log says where it is, never what it is.
 */
@Injectable()
export class DevelopmentApiKey implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiKeys');
  /** The key, once made or found; Swagger UI on loopback comes authorized with it. */
  key?: string;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly target: DatabaseTarget,
    @Inject(appConfig.KEY) private readonly app: Pick<AppConfig, 'nodeEnv' | 'host' | 'port' | 'docsEnabled'>,
    @Inject(authConfig.KEY) private readonly auth: Pick<AuthConfig, 'disabled'>,
    @Inject(databaseConfig.KEY) private readonly database: Pick<DatabaseConfig, 'embedded'>,
  ) {}

  get enabled(): boolean {
    return !!this.target.embedded && this.app.nodeEnv !== 'production' && !this.auth.disabled;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    const file = developmentKeyFile(this.database.embedded.dataDir);
    try {
      const kept = this.readKeyFile(file);
      const reused = !!kept?.trusted && (await this.isActive(kept.key));
      const key = reused && kept ? kept.key : await this.replace(file, kept?.key);
      // Belt and braces: even a stray log line can never print it.
      AppLogger.addSecret(key);
      this.key = key;
      this.logger.log(this.howToUse(displayPath(file), reused));
    } catch (error) {
      // A convenience: without it the service still serves, and `npm run apikey` still makes keys.
      this.logger.warn(`No development API key: ${describeError(error)}`);
    }
  }

  private howToUse(shown: string, reused: boolean): string {
    const host = this.app.host.includes(':') ? `[${this.app.host}]` : this.app.host;
    const base = `http://${host}:${this.app.port || '<port>'}`;
    const swagger = !this.app.docsEnabled
      ? ''
      : isLoopback(this.app.host)
        ? '; Swagger UI (/docs) comes authorized with it'
        : '; in Swagger UI (/docs), Authorize -> apiKey';
    return (
      `Development API key (${ALL_SCOPES.join(' ')}) ${reused ? 'reused from' : 'created in'} ${shown}. ` +
      `Use it with: curl -H "X-API-Key: $(cat ${shown})" -H 'Content-Type: application/json' ` +
      `-d '${SAMPLE_BOOK}' ${base}/books${swagger}`
    );
  }

  /**
   * The key in the file; `trusted` is false when others could read or have written the file, so its
   * key must be replaced (and its row removed).
   */
  private readKeyFile(file: string): { key: string; trusted: boolean } | undefined {
    let key: string;
    let stat: fs.Stats;
    try {
      key = fs.readFileSync(file, 'utf8').trim();
      stat = fs.statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const uid = process.getuid?.();
    if ((stat.mode & 0o077) !== 0 || (uid !== undefined && stat.uid !== uid)) {
      this.logger.warn(`${displayPath(file)} could be read or written by others: its key is replaced by a new one`);
      return { key, trusted: false };
    }
    return { key, trusted: true };
  }

  private async isActive(key: string): Promise<boolean> {
    const id = apiKeyIdOf(key);
    const record = id === undefined ? undefined : await this.store.findById(id);
    return (
      !!record &&
      record.name === DEVELOPMENT_KEY_NAME &&
      apiKeyMatches(key, record.secretHash) &&
      !record.revokedAt &&
      (!record.expiresAt || record.expiresAt.getTime() > Date.now())
    );
  }

  /**
   * A new key under the same name. The old row goes only if it was the file's key or can no longer
   * be used: a usable key of that name made by someone else (`npm run apikey`) is left alone.
   */
  private async replace(file: string, previous: string | undefined): Promise<string> {
    await this.store.removeStale(DEVELOPMENT_KEY_NAME, previous === undefined ? undefined : apiKeyIdOf(previous));
    const created = await this.store.create(DEVELOPMENT_KEY_NAME, ALL_SCOPES, null);
    if (!created)
      throw new Error(
        `an API key named "${DEVELOPMENT_KEY_NAME}" is in use and its secret is not in ${displayPath(file)}; ` +
          `revoke it (npm run apikey -- revoke --name ${DEVELOPMENT_KEY_NAME}) to get a new development key`,
      );
    // Written whole under a temporary name, then renamed: a reader never sees half a key.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.rmSync(temporary, { force: true });
    fs.writeFileSync(temporary, created.key + '\n', { mode: 0o600, flag: 'wx' });
    fs.renameSync(temporary, file);
    return created.key;
  }
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach the server. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Relative to the working folder when inside it, so the curl line works where `npm start` ran. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
