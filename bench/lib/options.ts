import * as path from 'node:path';
import { ENDPOINTS, Endpoint } from './load';

export interface BenchOptions {
  smoke: boolean;
  /** Books seeded before the load rounds. */
  rows: number;
  /** Rows for the scale step's second measurement; 0 skips it. */
  scaleRows: number;
  /** Run the scale step at all. */
  scale: boolean;
  /** Run the interleaved load rounds at all. */
  load: boolean;
  /** Time service starts (existing and fresh database). */
  startup: boolean;
  /** Only the scale section; its cases replace those in the output folder's results.json. */
  scaleOnly: boolean;
  rounds: number;
  warmupS: number;
  durationS: number;
  /** Duration of each equal-offered-load run. */
  fixedDurationS: number;
  /** Offered load of the equal-load runs, as a fraction of the slower server's warm-up rate. */
  fixedFraction: number;
  /** Duration of each single-connection latency run of the scale step. */
  latencyS: number;
  /** Rounds per scale case, each a run of the case beside a run of page 1. */
  scaleRounds: number;
  connections: number;
  poolMax: number;
  startupSamples: number;
  /** One-line saves timed in watch mode (`npm run start:dev` and `node --watch` on the baseline); 0 skips. */
  watchSaves: number;
  endpoints: Endpoint[];
  build: boolean;
  /** Run the service under `node --cpu-prof` and summarise the profile. */
  profile: boolean;
  /** After the rounds, sample the heap allocated per request of each endpoint on both servers. */
  alloc: boolean;
  /** Seconds of each sampled allocation run (after as long again of warm-up). */
  allocS: number;
  /** Where RESULTS.md and results.json go. */
  outDir: string;
  /** Folder whose dist/main.js is the service (another checkout, to compare a variant). */
  appDir: string;
  /** Extra environment for the service. */
  serviceEnv: Record<string, string>;
  /** Another service build in the baseline's place (before/after comparisons), instead of baseline-server.ts. */
  baselineApp?: string;
  /** Extra environment for --baseline-app. */
  baselineEnv: Record<string, string>;
  /** Node flags for the service / --baseline-app instead of their package.json `config.nodeFlags`. */
  nodeFlags?: string[];
  baselineNodeFlags?: string[];
  /** Price access control: the service with bearer tokens against the same build with AUTH_DISABLED=true. */
  auth: boolean;
  /** Run the outage scenario (bench/outage.ts) after the rest. */
  outage: boolean;
  /** Only the outage scenario; merged into the output folder's results.json. */
  outageOnly: boolean;
  /** Times each fault is put on (stop, freeze, frozen replica). */
  outageSamples: number;
}

const USAGE = `npm run bench -- [options]
  --rows N              books seeded before the load (default 10000)
  --scale-rows N        rows for the scale step's second measurement, 0 to skip (default 1000000)
  --rounds N            interleaved rounds after the warm-up (default 3)
  --duration S          seconds per throughput run (default 8)
  --fixed-duration S    seconds per equal-load run (default 6)
  --fixed-fraction F    equal load as a fraction of the slower server's rate (default 0.5)
  --warmup S            seconds of warm-up per endpoint and server (default 5)
  --latency S           seconds per scale-step latency run (default 1)
  --scale-rounds N      rounds per scale case, each the case and page 1 back to back (default 3)
  --connections N       autocannon connections (default 10)
  --endpoints a,b       subset of ${ENDPOINTS.join(',')}
  --startup-samples N   service starts timed per kind, each beside a baseline start (default 5)
  --watch-saves N       saves timed in watch mode, service and baseline (default 3, smoke 0)
  --no-load             skip the load rounds (startup and scale only)
  --no-scale            skip the scale step
  --scale-only          only the scale step (no load, no startup timing); its cases replace the
                        scale section of the output folder's results.json, RESULTS.md re-rendered
  --profile             run the service under node --cpu-prof; summary in the output folder
  --no-alloc            skip the allocation runs (bytes allocated per request, both servers)
  --no-build            do not run nest build first
  --app DIR             run DIR/dist/main.js as the service (a variant to compare; no build)
  --baseline-app DIR    run DIR/dist/main.js in the baseline's place (compare two builds)
  --service-env K=V     extra environment for the service (repeatable)
  --baseline-env K=V    extra environment for --baseline-app (repeatable)
  --node-flags "F"      node flags for the service instead of package.json config.nodeFlags ('' for none)
  --baseline-node-flags "F"  the same for --baseline-app: --baseline-app . --baseline-node-flags ''
                        prices the heap flags in interleaved rounds
  --out DIR             output folder (default bench/; bench/.work/smoke for --smoke)
  --auth                price access control: GET by id and POST with a bearer token on the service
                        against the same build with AUTH_DISABLED=true in the baseline's place
                        (no scale step, no startup or allocation runs; output in bench/.work/auth)
  --alloc               with --auth: do the allocation runs too (bytes allocated per request)
  --outage              only the outage scenario (stop and freeze PostgreSQL, freeze a standby: time to
                        503 and back); merged into the output folder's results.json, RESULTS.md re-rendered
  --no-outage           skip the outage scenario (the full run ends with it; smoke leaves it out)
  --outage-samples N    times each fault is put on (default 3)
  --smoke               seconds-long run: 300 rows, 1 short round, no million rows
Env: DATABASE_URL to use that server (its database name must contain "bench").`;

export function parseOptions(argv: string[], root: string): BenchOptions {
  const smoke = argv.includes('--smoke');
  const o: BenchOptions = {
    smoke,
    rows: smoke ? 300 : 10_000,
    scaleRows: smoke ? 0 : 1_000_000,
    scale: true,
    load: true,
    startup: true,
    scaleOnly: false,
    rounds: smoke ? 1 : 3,
    warmupS: smoke ? 1 : 5,
    durationS: smoke ? 1 : 8,
    fixedDurationS: smoke ? 1 : 6,
    fixedFraction: 0.5,
    latencyS: 1,
    scaleRounds: smoke ? 2 : 3,
    connections: smoke ? 4 : 10,
    poolMax: 10,
    startupSamples: smoke ? 1 : 5,
    watchSaves: smoke ? 0 : 3,
    endpoints: [...ENDPOINTS],
    build: true,
    profile: false,
    alloc: true,
    allocS: smoke ? 1 : 4,
    appDir: root,
    serviceEnv: {},
    baselineEnv: {},
    auth: false,
    outage: !smoke,
    outageOnly: false,
    outageSamples: smoke ? 1 : 3,
    outDir: smoke ? path.join(root, 'bench', '.work', 'smoke') : path.join(root, 'bench'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const num = (min: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number >= ${min}\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case '--smoke':
        break;
      case '--no-alloc':
        o.alloc = false;
        break;
      case '--alloc':
        break;
      case '--auth':
        o.auth = true;
        break;
      case '--rows':
        o.rows = Math.floor(num(100));
        break;
      case '--scale-rows':
        o.scaleRows = Math.floor(num(0));
        break;
      case '--rounds':
        o.rounds = Math.floor(num(1));
        break;
      case '--duration':
        o.durationS = num(1);
        break;
      case '--fixed-duration':
        o.fixedDurationS = num(1);
        break;
      case '--fixed-fraction':
        o.fixedFraction = num(0.05);
        break;
      case '--warmup':
        o.warmupS = num(1);
        break;
      case '--latency':
        o.latencyS = num(1);
        break;
      case '--scale-rounds':
        o.scaleRounds = Math.floor(num(1));
        break;
      case '--connections':
        o.connections = Math.floor(num(1));
        break;
      case '--endpoints':
        o.endpoints = value()
          .split(',')
          .map((e) => {
            if (!(ENDPOINTS as readonly string[]).includes(e)) throw new Error(`unknown endpoint ${e}\n${USAGE}`);
            return e as Endpoint;
          });
        break;
      case '--startup-samples':
        o.startupSamples = Math.floor(num(1));
        break;
      case '--watch-saves':
        o.watchSaves = Math.floor(num(0));
        break;
      case '--no-load':
        o.load = false;
        break;
      case '--no-scale':
        o.scale = false;
        break;
      case '--scale-only':
        o.scaleOnly = true;
        o.outage = false;
        o.load = false;
        o.startup = false;
        o.watchSaves = 0;
        break;
      case '--outage':
        o.outageOnly = true;
        o.outage = true;
        break;
      case '--no-outage':
        o.outage = false;
        break;
      case '--outage-samples':
        o.outageSamples = Math.floor(num(1));
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--no-build':
        o.build = false;
        break;
      case '--app':
        o.appDir = path.resolve(value());
        break;
      case '--baseline-app':
        o.baselineApp = path.resolve(value());
        break;
      case '--service-env':
      case '--baseline-env': {
        const [key, ...rest] = value().split('=');
        if (!key || !rest.length) throw new Error(`${flag} takes KEY=VALUE\n${USAGE}`);
        (flag === '--service-env' ? o.serviceEnv : o.baselineEnv)[key] = rest.join('=');
        break;
      }
      case '--node-flags':
        o.nodeFlags = value().split(/\s+/).filter(Boolean);
        break;
      case '--baseline-node-flags':
        o.baselineNodeFlags = value().split(/\s+/).filter(Boolean);
        break;
      case '--out':
        o.outDir = path.resolve(value());
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  if (o.scaleRows && o.scaleRows <= o.rows) throw new Error('--scale-rows must exceed --rows (or be 0)');
  if (o.auth) {
    // One build on both sides; only AUTH_DISABLED differs (and the token each request carries is ignored there).
    o.baselineApp ??= o.appDir;
    o.baselineEnv = { AUTH_DISABLED: 'true', ...o.baselineEnv };
    if (!argv.some((a) => a.startsWith('--endpoints'))) o.endpoints = ['get-id', 'create'];
    if (!argv.some((a) => a.startsWith('--out'))) o.outDir = path.join(root, 'bench', '.work', 'auth');
    o.scale = false;
    o.startup = false;
    // Bytes per request repeat where timings on a shared machine do not (0009); opt in, they add a minute.
    o.alloc = argv.includes('--alloc');
    o.watchSaves = 0;
    o.outage = false;
  }
  return o;
}
