import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter, NEST_APP_OPTIONS } from '../../src/app.setup';
import { buildAppConfig } from '../../src/config/app.config';
import { withEnv } from './env';
import { serviceEnv, TestDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  /** The running app's base URL (it listens on a free port of 127.0.0.1). */
  baseUrl: string;
  close(): Promise<void>;
}

/** Variables every in-process app gets unless a test overrides them. */
const DEFAULTS: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'error',
  DB_SCHEMA_MODE: 'sync',
  DB_STARTUP_DEADLINE_MS: '20000',
  THROTTLE_ENABLED: 'false',
  // Access control off: these apps test books, storage and HTTP, and write without a credential.
  // The access-control suites (test/auth-*.e2e-spec.ts) turn it on with AUTH_DISABLED=false.
  AUTH_DISABLED: 'true',
};

let envQueue: Promise<unknown> = Promise.resolve();

/**
 * Sets `vars` in process.env while `build` runs, one caller at a time: the config
 * namespaces read process.env when the module is compiled, and apps started
 * concurrently must each see their own environment.
 */
function withEnvQueued<T>(vars: Record<string, string>, build: () => Promise<T>): Promise<T> {
  const run = envQueue.then(() => withEnv(vars, build));
  envQueue = run.catch(() => undefined);
  return run;
}

/**
 * Boots the real AppModule in this process against `database`, as main.ts does, and
 * listens on a free port. Several may start at once: only compiling is serialised, so
 * their database bootstraps (onModuleInit) really run concurrently.
 */
export async function startTestApp(
  database: TestDatabase | URL | string,
  env: Record<string, string> = {},
): Promise<TestApp> {
  // A test database: as the serving role, migrating as the owner; a URL: exactly that.
  const target =
    typeof database === 'object' && 'appUrl' in database ? serviceEnv(database) : { DATABASE_URL: database.toString() };
  const vars = { ...DEFAULTS, ...target, ...env };
  const app = await withEnvQueued(vars, async () => {
    const config = buildAppConfig(process.env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const created = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
      ...NEST_APP_OPTIONS,
      logger: ['error'],
    });
    configureApp(created, config);
    return created;
  });
  try {
    await app.init();
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return {
    app,
    baseUrl: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    close: () => app.close(),
  };
}
