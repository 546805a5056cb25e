/* global console */
/**
 * `npm run build`'s second step: bundles tsc's output (build/) into dist/, the production build.
 *
 * The service is one file (dist/app.js) behind a small launcher (dist/main.js). Loading Nest's
 * ES-module packages file by file through require(esm) was most of a start; one CommonJS file
 * is read and compiled once. tsc runs first, so decorator metadata (Nest DI, class-validator,
 * Swagger) is already in the JavaScript esbuild reads. See docs/performance.md, "Startup".
 */
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMON_OPTIONS, exitOnErrors, postProcess } from './esbuild-options.mjs';
import { decodeVlq, encodeVlq } from './lib/vlq.cjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const IN = path.join(ROOT, 'build');
const OUT = path.join(ROOT, 'dist');

/**
 * Keeps the source map's mappings into src/ only. Stack frames in dependencies then show their
 * place in dist/app.js, and the map stays small: Node decodes it in full on the first stack trace.
 */
function keepOwnSources(mapFile) {
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
  // Dependencies' own maps name their sources relative to themselves: only files in src/ count.
  const ownDir = path.join(ROOT, 'src') + path.sep;
  const keep = map.sources.map((source) => {
    const file = path.resolve(path.dirname(mapFile), source);
    return file.startsWith(ownDir) && fs.existsSync(file);
  });
  const newIndex = [];
  const sources = [];
  map.sources.forEach((source, i) => {
    if (keep[i]) newIndex[i] = sources.push(source) - 1;
  });
  let source = 0;
  let line = 0;
  let column = 0;
  let out = { source: 0, line: 0, column: 0 };
  const lines = map.mappings.split(';').map((text) => {
    let genColumn = 0;
    let outColumn = 0;
    let unmapped = false;
    const segments = [];
    for (const segment of text ? text.split(',') : []) {
      const [dc, ds, dl, dcol] = decodeVlq(segment);
      genColumn += dc;
      if (ds !== undefined) {
        source += ds;
        line += dl;
        column += dcol;
      }
      if (ds === undefined || !keep[source]) {
        // One column-only segment ends a mapped stretch; a line starts unmapped anyway.
        if (unmapped || segments.length === 0) continue;
        segments.push(encodeVlq([genColumn - outColumn]));
        outColumn = genColumn;
        unmapped = true;
        continue;
      }
      const s = newIndex[source];
      segments.push(encodeVlq([genColumn - outColumn, s - out.source, line - out.line, column - out.column]));
      out = { source: s, line, column };
      outColumn = genColumn;
      unmapped = false;
    }
    return segments.join(',');
  });
  const trimmed = { version: 3, sources, names: [], mappings: lines.join(';') };
  fs.writeFileSync(mapFile, JSON.stringify(trimmed));
}

// Nothing of an earlier build (or of tsc, which wrote here before) survives into this one.
fs.rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    app: path.join(IN, 'main.js'),
    'cli/db-prepare': path.join(IN, 'cli/db-prepare.js'),
    'cli/apikey': path.join(IN, 'cli/apikey.js'),
  },
  outdir: OUT,
  ...COMMON_OPTIONS,
  sourcemap: 'linked',
  sourcesContent: false,
});
exitOnErrors(result);
for (const file of ['app.js', 'cli/db-prepare.js', 'cli/apikey.js']) {
  postProcess(path.join(OUT, file));
  keepOwnSources(path.join(OUT, `${file}.map`));
}
// The launcher: loads app.js with a code cache taken after a start (see scripts/launcher.cjs).
exitOnErrors(
  await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'scripts', 'launcher.cjs')],
    outfile: path.join(OUT, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'warning',
  }),
);
console.log(
  `bundled ${path.relative(ROOT, IN)}/ into ${path.relative(ROOT, OUT)}/app.js (launcher main.js), cli/db-prepare.js and cli/apikey.js`,
);
