import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AppRole, ensureAppRole } from '../../src/database/lifecycle/app-role';
import { TEST_ENV } from './test-env';

/**
 * The two roles the suites run the service as, as operators are told to (docs/security.md,
 * "Database roles"): the owner migrates, the serving role answers requests. Fixed names, so runs
 * against one shared server reuse them; the global setup gives them this run's passwords.
 */
export interface ServiceRoles {
  owner: AppRole;
  serving: AppRole;
}

export const TEST_ROLE_NAMES = { owner: 'bookapi_test_owner', serving: 'bookapi_test_serving' } as const;

/** Fresh passwords for the run (the embedded test server checks them). */
export function newServiceRoles(): ServiceRoles {
  const password = () => randomBytes(15).toString('base64url');
  return {
    owner: { name: TEST_ROLE_NAMES.owner, password: password() },
    serving: { name: TEST_ROLE_NAMES.serving, password: password() },
  };
}

/** The run's roles: the global setup's, or (a suite without one) passwords made on first use. */
export function serviceRoles(): ServiceRoles {
  const json = (process.env[TEST_ENV.roles] ??= JSON.stringify(newServiceRoles()));
  return JSON.parse(json) as ServiceRoles;
}

/** Makes the roles on the server behind `adminUrl`, or gives existing ones these passwords. */
export async function ensureServiceRoles(adminUrl: URL, roles: ServiceRoles): Promise<void> {
  const client = new Client({ connectionString: adminUrl.toString(), application_name: 'bookapi-test' });
  await client.connect();
  try {
    for (const role of [roles.owner, roles.serving]) await ensureAppRole(client, role, true);
  } finally {
    await client.end();
  }
}

/** `url` logging in as `role`. */
export function asRole(url: URL, role: AppRole): URL {
  const copy = new URL(url);
  copy.username = role.name;
  copy.password = role.password;
  return copy;
}
