import { PgCluster } from './pg-cluster';
import { SpawnedApp, spawnApp, waitForListening } from './spawn-app';

/** The built service on a private cluster that the suite may stop, pause and restart. */
export interface ClusterAppFixture {
  readonly cluster: PgCluster;
  readonly dbUrl: URL;
  readonly app: SpawnedApp;
  readonly baseUrl: string;
}

/**
 * The fixture of the resilience suites: a PgCluster, a database `bookapi_test_<label>` in it, and
 * `node dist/main.js` on it (SIGTERM, then the cluster destroyed, afterwards).
 */
export function useClusterApp(label: string, env: Record<string, string>): ClusterAppFixture {
  let state: { cluster: PgCluster; dbUrl?: URL; app?: SpawnedApp; baseUrl?: string } | undefined;
  beforeAll(async () => {
    state = { cluster: await PgCluster.create(label) };
    state.dbUrl = await state.cluster.createDatabase(`bookapi_test_${label}`);
    state.app = spawnApp({
      ...state.cluster.serviceEnv(`bookapi_test_${label}`),
      NODE_ENV: 'test',
      LOG_LEVEL: 'log',
      THROTTLE_ENABLED: 'false',
      ...env,
    });
    state.baseUrl = await waitForListening(state.app);
  });
  afterAll(async () => {
    await state?.app?.stop('SIGTERM');
    await state?.cluster.destroy();
  });
  const get = <K extends keyof ClusterAppFixture>(key: K): ClusterAppFixture[K] => {
    const value = state?.[key];
    if (value === undefined) throw new Error(`the cluster app's ${key} is not started: use it inside a test`);
    return value as ClusterAppFixture[K];
  };
  return {
    get cluster() {
      return get('cluster');
    },
    get dbUrl() {
      return get('dbUrl');
    },
    get app() {
      return get('app');
    },
    get baseUrl() {
      return get('baseUrl');
    },
  };
}
