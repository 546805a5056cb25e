import { buildDatabaseConfig, type DatabaseConfig } from '../config/database.config';
import { AppLogger } from '../common/app-logger';
import { clusterPassword } from '../database/embedded/cluster-password';
import { isPostmasterOf } from '../database/embedded/embedded-checks';
import { readPostmasterPid } from '../database/embedded/postmaster-pid';
import { DatabaseLifecycle } from '../database/lifecycle/database-lifecycle';
import { DatabaseTarget, EMBEDDED_APP_ROLE, EMBEDDED_OWNER_ROLE } from '../database/lifecycle/database-target';

/**
 * The database the service itself would use, from the same environment, for a one-shot command:
 * DATABASE_URL when set; else the embedded cluster, reached where the running service serves it
 * (starting it here would stop that server as an orphan) or started for the command and stopped after.
 * Brought up by DatabaseLifecycle, so the database and its schema are made as the service would.
 */
export async function openServiceDatabase(env: Record<string, string | undefined>): Promise<DatabaseLifecycle> {
  const config = runningEmbeddedAsExternal(buildDatabaseConfig(env), env);
  const target = new DatabaseTarget(config);
  for (const secret of target.secrets) AppLogger.addSecret(secret);
  const lifecycle = new DatabaseLifecycle(config, target);
  await lifecycle.onModuleInit();
  return lifecycle;
}

/** A running embedded server is addressed by URL, with the roles and passwords the service uses. */
function runningEmbeddedAsExternal(config: DatabaseConfig, env: Record<string, string | undefined>): DatabaseConfig {
  if (config.url) return config;
  const { dataDir, port, database } = config.embedded;
  const pid = readPostmasterPid(dataDir);
  if (pid === undefined || !isPostmasterOf(pid, dataDir)) return config;
  const url = (user: string, name: string) => {
    const result = new URL(`postgres://127.0.0.1:${port}/`);
    result.username = user;
    result.password = clusterPassword(dataDir, user);
    result.pathname = '/' + encodeURIComponent(name);
    return result.toString();
  };
  return buildDatabaseConfig({
    ...env,
    DATABASE_URL: url(EMBEDDED_APP_ROLE, database),
    DATABASE_MIGRATION_URL: url(EMBEDDED_OWNER_ROLE, database),
    DATABASE_ADMIN_URL: url('postgres', 'postgres'),
    EMBEDDED_POSTGRES: 'true',
  });
}
