/* global process, console, URL */
/**
 * The one way the project runs jest: `node scripts/jest.mjs [suite] [--no-build] [jest options]`,
 * behind the `test` and `test:*` npm scripts. It holds the Node options jest needs and builds
 * dist/ first for the suites that spawn the built service.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Some dependencies ship ES modules only; jest loads them through the VM modules API. In
// NODE_OPTIONS (not argv) so jest's worker processes get it too.
const NODE_OPTIONS = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];

/** Suite name: its jest arguments, and whether it runs dist/ (then it is built first). */
const SUITES = {
  all: { jest: ['--config', 'jest.config.js', '--selectProjects', 'unit', 'e2e'], build: true },
  unit: { jest: ['--config', 'jest.config.js', '--selectProjects', 'unit'], build: false },
  e2e: { jest: ['--config', 'jest.config.js', '--selectProjects', 'e2e'], build: true },
  // The long end-to-end suites (SLOW in jest.config.js), out of `all` so that npm test stays short.
  slow: { jest: ['--config', 'jest.config.js', '--selectProjects', 'slow'], build: true },
  browser: { jest: ['--config', 'test/browser/jest.config.json'], build: false },
  contract: { jest: ['--config', 'test/contract/jest.config.json'], build: false },
  watch: { jest: ['--config', 'test/watch/jest.config.json'], build: false },
  prometheus: { jest: ['--config', 'test/prometheus/jest.config.json'], build: true },
  scale: { jest: ['--config', 'test/scale/jest.config.json'], build: true },
  rolling: { jest: ['--config', 'test/scale/jest.rolling.json'], build: true },
  replicas: { jest: ['--config', 'test/replicas/jest.config.json'], build: true },
};

const args = process.argv.slice(2);
const name = Object.hasOwn(SUITES, args[0] ?? '') ? args.shift() : 'all';
const suite = SUITES[name];
const noBuild = args.includes('--no-build');
const jestArgs = args.filter((arg) => arg !== '--no-build');

function run(command, argv, env = process.env) {
  const result = spawnSync(command, argv, { stdio: 'inherit', env });
  if (result.error) {
    console.error(`${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (suite.build && !noBuild) run('npm', ['run', '--silent', 'build']);
const jestBin = createRequire(import.meta.url).resolve('jest/bin/jest');
const nodeOptions = [process.env.NODE_OPTIONS ?? '', ...NODE_OPTIONS].join(' ').trim();
// Jest's own reporter, plus one that prints the suite's count and fails a run that ran no test.
const reporters = jestArgs.some((arg) => arg.startsWith('--reporters'))
  ? []
  : ['--reporters=default', `--reporters=${fileURLToPath(new URL('./count-reporter.mjs', import.meta.url))}`];
// Array options (--reporters, --selectProjects) take every word after them, so paths go first.
run(process.execPath, [jestBin, ...jestArgs, ...reporters, ...suite.jest], {
  ...process.env,
  NODE_OPTIONS: nodeOptions,
  // Its count is kept apart from the same suite's on the embedded server (.ci/run runs both).
  BOOKAPI_TEST_SUITE: process.env.DATABASE_URL ? `${name}-on-DATABASE_URL` : name,
});
