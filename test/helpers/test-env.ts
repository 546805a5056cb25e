/** Environment the global setup hands to every e2e worker. */
export const TEST_ENV = {
  /** Maintenance URL of the server under test: DATABASE_URL's server, or the embedded one. */
  adminUrl: 'BOOKAPI_TEST_ADMIN_URL',
  /** Maintenance URL of the embedded server, always started: it enforces passwords. */
  embeddedAdminUrl: 'BOOKAPI_TEST_EMBEDDED_ADMIN_URL',
  /** The owner and serving roles (JSON: names and this run's passwords), made by the global setup. */
  roles: 'BOOKAPI_TEST_ROLES',
  /** Which server is under test, for test names and logs. */
  serverLabel: 'BOOKAPI_TEST_SERVER',
} as const;

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e suites through jest's global setup (npm test)`);
  return value;
}
