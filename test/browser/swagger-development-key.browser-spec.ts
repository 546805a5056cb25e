import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { freePort } from '../../src/lib/free-port';
import { bookInput } from '../factories/book.factory';
import { pidsWhoseCommandLine } from '../helpers/processes';
import { MAIN_JS, spawnApp, type SpawnedApp, waitForListening } from '../helpers/spawn-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A zero-config start (built service, embedded PostgreSQL, development, access control on) serves
 * Swagger UI already authorized with its development key: "Try it out" on POST /books is a 201
 * with no Authorize step.
 */
describe('Swagger UI of a zero-config start, in Chromium', () => {
  let dir: string;
  let app: SpawnedApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-devkey-ui-'));
    fs.chmodSync(dir, 0o755);
    app = spawnApp({
      EMBEDDED_PG_DATA_DIR: path.join(dir, 'postgres'),
      EMBEDDED_PG_PORT: String(await freePort()),
      NODE_ENV: 'development',
      AUTH_DISABLED: 'false',
    });
    await waitForListening(app, 60_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop('SIGTERM');
    for (const pid of pidsWhoseCommandLine((line) => line.includes(dir) && line.includes('postgres'))) {
      process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows apiKey as authorized and creates a book with the development key', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${app.baseUrl}/docs`, { waitUntil: 'networkidle' });
    await page.locator('.swagger-ui .auth-wrapper button.authorize').click();
    const apiKey = page.locator('.dialog-ux .modal-ux .auth-container').filter({ hasText: 'X-API-Key' }).first();
    await expect(apiKey.innerText()).resolves.toContain('Authorized');
    await page.locator('.dialog-ux .modal-ux button.btn-done').first().click();

    const block = page.locator('#operations-books-createBook');
    await block.locator('.opblock-summary').first().click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    await block.locator('textarea.body-param__text').fill(JSON.stringify(bookInput(), null, 2));
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/books'));
    await block.getByRole('button', { name: 'Execute' }).click();
    const response = await answered;
    expect(response.status()).toBe(201);
    expect(response.request().headers()['x-api-key']).toBe(
      fs.readFileSync(path.join(dir, 'postgres.dev-api-key'), 'utf8').trim(),
    );
    await expect(response.json()).resolves.toMatchObject({ createdBy: 'development' });
  });
});
