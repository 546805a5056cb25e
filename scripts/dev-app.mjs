/* global process */
/**
 * The app process of `npm run start:dev` (scripts/dev.mjs starts it). Dependencies come from one
 * prebuilt bundle instead of hundreds of files through require(esm), and are loaded while the
 * previous app still runs: the runner keeps one of these on standby and sends it `start` on a save.
 */
import * as fs from 'node:fs';
import { createRequire, enableCompileCache, registerHooks, setSourceMapsSupport } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';

const require = createRequire(import.meta.url);

const [depsDir, appMain] = process.argv.slice(2);
enableCompileCache(path.join(depsDir, 'compile-cache'));
setSourceMapsSupport(true);

/** specifier → file in depsDir that re-exports it from the bundle (written by dev.mjs). */
const shims = JSON.parse(fs.readFileSync(path.join(depsDir, 'shims.json'), 'utf8'));
registerHooks({
  resolve(specifier, context, nextResolve) {
    const shim = shims[specifier];
    return shim
      ? { url: pathToFileURL(path.join(depsDir, shim)).href, format: 'commonjs', shortCircuit: true }
      : nextResolve(specifier, context);
  },
});

/** Tracing must patch http and pg before they load, so with tracing on nothing loads early. */
function tracingOn() {
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return true;
  try {
    return !!parseEnv(fs.readFileSync('.env', 'utf8')).OTEL_EXPORTER_OTLP_ENDPOINT;
  } catch {
    return false;
  }
}

if (!tracingOn()) for (const specifier of Object.keys(shims)) require(specifier);

/** The runner's `start` message may set variables for this start (DB_SCHEMA_MODE). */
const start = (message) => {
  Object.assign(process.env, message?.env);
  process.disconnect?.();
  require(path.resolve(appMain));
};
if (process.send) process.once('message', start);
else start();
