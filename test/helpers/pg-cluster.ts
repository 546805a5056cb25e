import { PgCluster as Cluster } from '../../scripts/lib/pg-cluster';
import type { AppRole } from '../../src/database/lifecycle/app-role';
import { createDatabaseIfMissing } from '../../src/database/lifecycle/create-database';
import { asRole, serviceRoles } from './service-roles';

/**
 * The suites' private cluster (scripts/lib/pg-cluster.ts: stop, pause, restart, a standby) with
 * the service roles of the run in it.
 */
export class PgCluster extends Cluster {
  /** URL of a database in this cluster: the superuser's (trust auth: no password), or `role`'s. */
  url(database = 'postgres', role?: AppRole): URL {
    const url = super.url(database);
    return role ? asRole(url, role) : url;
  }

  /**
   * Creates a database with the project's own create-database code, owned by the owner role (both
   * service roles are made in this cluster), and returns the superuser's URL, for inspection.
   */
  async createDatabase(name: string): Promise<URL> {
    const roles = serviceRoles();
    await createDatabaseIfMissing(this.url(), name, {
      connectTimeoutMs: 5000,
      lockTimeoutMs: 10000,
      applicationName: 'bookapi-test',
      owner: roles.owner,
      serving: roles.serving,
    });
    return this.url(name);
  }

  /** The service on `database` as operators run it: the serving role, migrating as the owner. */
  serviceEnv(database: string): Record<string, string> {
    const roles = serviceRoles();
    return {
      DATABASE_URL: this.url(database, roles.serving).toString(),
      DATABASE_MIGRATION_URL: this.url(database, roles.owner).toString(),
    };
  }
}
