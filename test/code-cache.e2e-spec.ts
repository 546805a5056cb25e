import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { nodeFlags } from '../src/lib/node-flags';
import { MAIN_JS, useSpawnedApp, waitForListening } from './helpers/spawn-app';

const ROOT = path.resolve(__dirname, '..');

/**
 * The image's shipped code cache (Dockerfile: dist/main.js --prime-code-cache): priming evaluates the
 * bundle without starting the service, and a start with no cache of its own runs from it.
 * NODE_DEBUG=bookapi makes the launcher say which cache it used and whether V8 accepted it.
 */
describe('code cache primed at build time', () => {
  const fixture = useSpawnedApp('code_cache');
  let tmp: string;

  beforeAll(() => {
    // A copy of dist/, so priming does not write into the build the other suites run.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-code-cache-'));
    fs.cpSync(path.dirname(MAIN_JS), path.join(tmp, 'dist'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'));
  });

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('primes without a database, and a fresh start uses that cache', async () => {
    const main = path.join(tmp, 'dist/main.js');
    // A database that refuses connections: a bootstrap would fail and exit 1.
    await promisify(execFile)(process.execPath, [...nodeFlags(ROOT), main, '--prime-code-cache'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    });
    const shipped = fs.readdirSync(path.join(tmp, 'dist')).filter((name) => name.endsWith('.v8'));
    expect(shipped).toEqual([expect.stringMatching(/^app\.js\.[0-9a-f]+\.v8$/)]);

    // An empty per-user cache folder, as in a new container.
    const app = fixture.start(
      { NODE_DEBUG: 'bookapi', NODE_COMPILE_CACHE: path.join(tmp, 'compile-cache') },
      { mainJs: main },
    );
    try {
      const url = await waitForListening(app);
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      expect(app.output()).toContain(`code cache ${path.join(tmp, 'dist', shipped[0])}: accepted`);
    } finally {
      await app.stop();
    }
  });
});
