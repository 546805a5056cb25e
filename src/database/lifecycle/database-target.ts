import { Logger } from '@nestjs/common';
import type { DatabaseConfig } from '../../config/database.config';
import { databaseNameOf } from '../../lib/url';
import type { EmbeddedPostgresServer } from '../embedded/embedded-postgres.server';

/** The embedded cluster's serving role: reads and writes rows, owns nothing. */
export const EMBEDDED_APP_ROLE = 'bookapi_app';
/** The embedded cluster's owner role: owns the database and its schema, runs the schema step. */
export const EMBEDDED_OWNER_ROLE = 'bookapi_owner';

/**
 * The embedded server is a development convenience (its binaries are a devDependency): loaded
 * only when there is no DATABASE_URL, so production never reads it.
 */
function loadEmbeddedServer(): typeof EmbeddedPostgresServer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../embedded/embedded-postgres.server') as typeof import('../embedded/embedded-postgres.server'))
    .EmbeddedPostgresServer;
}

/**
 * Where the service's data lives: a server named by DATABASE_URL, or the embedded one.
 * Constructing it writes nothing: the embedded cluster's password files are made when a URL
 * is first read.
 */
export class DatabaseTarget {
  /** The embedded server to start, when DATABASE_URL is unset. */
  readonly embedded?: EmbeddedPostgresServer;
  private readonly external?: { url: URL; directUrl: URL; adminUrl: URL; migrationUrl?: URL };

  constructor(config: DatabaseConfig, logger = new Logger('EmbeddedPostgres')) {
    if (config.url && config.adminUrl) {
      this.external = {
        url: config.url,
        directUrl: config.directUrl ?? config.url,
        adminUrl: config.adminUrl,
        migrationUrl: config.migrationUrl,
      };
    } else this.embedded = new (loadEmbeddedServer())(config.embedded, logger);
  }

  /** The service connects as a role without superuser rights; the superuser (adminUrl) only creates. */
  get url(): URL {
    return this.external?.url ?? this.embedded!.url(undefined, EMBEDDED_APP_ROLE);
  }

  /** The target database without a pooler in between (DATABASE_DIRECT_URL, default DATABASE_URL). */
  get directUrl(): URL {
    return this.external?.directUrl ?? this.url;
  }

  /** Separate owner and serving roles: DATABASE_MIGRATION_URL is set, or the embedded cluster makes both. */
  get twoRoles(): boolean {
    return !this.external || !!this.external.migrationUrl;
  }

  /** Where the schema step runs: the owner role's connection, or the direct one when one role does both. */
  get migrationUrl(): URL {
    if (this.embedded) return this.embedded.url(undefined, EMBEDDED_OWNER_ROLE);
    return this.external!.migrationUrl ?? this.directUrl;
  }

  get adminUrl(): URL {
    return this.external?.adminUrl ?? this.embedded!.url('postgres');
  }

  get databaseName(): string {
    return databaseNameOf(this.url);
  }

  /** Passwords to scrub from anything printed. */
  get secrets(): string[] {
    const passwords = [this.url.password, this.directUrl.password, this.migrationUrl.password, this.adminUrl.password];
    return [...new Set(passwords.filter(Boolean).map(decodeURIComponent))];
  }
}
