/**
 * Writes the live OpenAPI document to test-output/openapi.json and validates it with
 * swagger-parser: runs the built service (dist/main.js) on a private embedded PostgreSQL in a
 * temp dir, fetches /docs-json, stops it. Spectral lints the file next (npm run lint:openapi).
 * Usage: ts-node --transpile-only test/contract/export-openapi.ts [out-file]
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/lib/free-port';
import { spawnApp, waitForListening } from '../helpers/spawn-app';

const ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'test-output/openapi.json'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-openapi-'));
  // The embedded PostgreSQL runs as the postgres user, which must reach the cluster dir.
  fs.chmodSync(tmp, 0o755);
  const app = spawnApp({
    NODE_ENV: 'development',
    PORT: '0',
    EMBEDDED_PG_DATA_DIR: path.join(tmp, 'cluster'),
    EMBEDDED_PG_PORT: String(await freePort()),
    THROTTLE_ENABLED: 'false',
  });
  try {
    const baseUrl = await waitForListening(app, 60000);
    const response = await fetch(`${baseUrl}/docs-json`);
    if (!response.ok) throw new Error(`GET /docs-json answered ${response.status}`);
    const document: unknown = await response.json();
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(document, null, 2) + '\n');
    console.log(`OpenAPI document written to ${path.relative(process.cwd(), out)}`);
    // validate() dereferences in place, so it gets its own copy.
    await SwaggerParser.validate(structuredClone(document) as never);
    console.log('swagger-parser: the document is valid OpenAPI 3');
  } finally {
    const exit = await app.stop('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
    if (exit.code !== 0) console.warn(`service exited with ${exit.code ?? exit.signal}:\n${app.output()}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
