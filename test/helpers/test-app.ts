import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { buildAppConfig } from '../../src/config/app.config';

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
};

/**
 * Boots the real AppModule in this process against `databaseUrl`, as main.ts does, and
 * listens on a free port. The environment is set only while the app is being built.
 */
export async function startTestApp(databaseUrl: URL | string, env: Record<string, string> = {}): Promise<TestApp> {
  const vars = { ...DEFAULTS, DATABASE_URL: databaseUrl.toString(), ...env };
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  let app: NestFastifyApplication | undefined;
  try {
    const config = buildAppConfig(process.env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), { logger: ['error'] });
    configureApp(app, config);
    await app.init();
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app?.close().catch(() => undefined);
    throw error;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const started = app;
  return {
    app: started,
    baseUrl: (await started.getUrl()).replace('[::1]', '127.0.0.1'),
    close: () => started.close(),
  };
}
