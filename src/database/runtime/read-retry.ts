import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { discardIdleConnections } from '../../lib/internals/pg-pool';
import { poolOf } from '../../lib/internals/typeorm';
import { isTransientConnectionError } from '../../lib/postgres-error';

/**
 * A read whose database connection broke runs once more, on a fresh connection: a backend
 * killed by a failover, a restart or pg_terminate_backend should not cost the client an error.
 * Reads change nothing, so running one twice is safe; writes never come here (a lost COMMIT may
 * have happened). The services wrap their read operations in it (a Nest interceptor would do the
 * same for every route, but would run each request through Nest's RxJS pipeline).
 */
@Injectable()
export class ReadRetry {
  private readonly logger = new Logger('ReadRetry');

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(what: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!isTransientConnectionError(error)) throw error;
      // Its pooled siblings likely died with it (backends die together on a restart, a failover or a
      // kill of all of them), and an idle one is not yet known dead: the retry must get a fresh one.
      const discarded = discardIdleConnections(poolOf(this.dataSource));
      this.logger.debug(`${what}: connection lost; retrying once after closing ${discarded} idle connection(s)`);
      return read();
    }
  }
}
