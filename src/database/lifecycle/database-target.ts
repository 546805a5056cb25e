import { Logger } from '@nestjs/common';
import type { DatabaseConfig } from '../../config/database.config';
import { databaseNameOf } from '../../lib/url';
import { EmbeddedPostgresServer } from '../embedded/embedded-postgres.server';

/** Where the service's data lives: a server named by DATABASE_URL, or the embedded one. */
export class DatabaseTarget {
  /** The embedded server to start, when DATABASE_URL is unset. */
  readonly embedded?: EmbeddedPostgresServer;
  readonly url: URL;
  readonly adminUrl: URL;

  constructor(config: DatabaseConfig, logger = new Logger('EmbeddedPostgres')) {
    if (config.url && config.adminUrl) {
      this.url = config.url;
      this.adminUrl = config.adminUrl;
    } else {
      this.embedded = new EmbeddedPostgresServer(config.embedded, logger);
      this.url = this.embedded.url();
      this.adminUrl = this.embedded.url('postgres');
    }
  }

  get databaseName(): string {
    return databaseNameOf(this.url);
  }

  /** Passwords to scrub from anything printed. */
  get secrets(): string[] {
    return [this.url.password, this.adminUrl.password].filter(Boolean).map(decodeURIComponent);
  }
}
