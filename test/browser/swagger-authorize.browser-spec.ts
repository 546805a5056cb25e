import { Browser, chromium, Locator, Page } from 'playwright-core';
import { ApiKeyStore } from '../../src/auth/api-keys/api-key.store';
import { bookInput } from '../factories/book.factory';
import { IdentityProvider } from '../helpers/identity-provider';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, query, TestDatabase } from '../helpers/test-database';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Swagger UI's Authorize in a real Chromium, with a real OpenID provider's token or an API key (access control on). */
describe('Swagger UI Authorize in Chromium', () => {
  let db: TestDatabase;
  let idp: IdentityProvider;
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase('browser_authorize');
    idp = await IdentityProvider.create();
    app = await startTestApp(db, idp.serviceEnv);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await idp?.stop();
    await db?.drop();
  });

  /** Fills POST /books with `book` and answers the status Swagger UI renders. */
  async function createBook(book: object): Promise<string> {
    const block = page.locator('#operations-books-createBook');
    if (!(await block.getByRole('button', { name: 'Execute' }).isVisible())) {
      await block.locator('.opblock-summary').first().click();
      await block.getByRole('button', { name: 'Try it out' }).click();
    }
    await block.locator('textarea.body-param__text').fill(JSON.stringify(book, null, 2));
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/books'));
    await block.getByRole('button', { name: 'Execute' }).click();
    const response = await answered;
    const status = block.locator('.live-responses-table tbody tr.response td.response-col_status');
    // What Swagger UI renders for this very response (an earlier one may still be on the page).
    await expect(status.innerText()).resolves.toMatch(/\d{3}/);
    await block.locator(`.live-responses-table td.response-col_status:text-is("${response.status()}")`).waitFor();
    return String(response.status());
  }

  /** A fresh page (Swagger UI keeps no authorization across loads), where POST /books answers 401. */
  async function openDocsUnauthorized() {
    await page.goto(`${app.baseUrl}/docs`, { waitUntil: 'networkidle' });
    const authorize = page.locator('.swagger-ui .auth-wrapper button.authorize');
    await authorize.waitFor({ state: 'visible', timeout: 15000 });
    await expect(createBook(bookInput())).resolves.toBe('401');
    await authorize.click();
    return page.locator('.dialog-ux .modal-ux');
  }

  /** Pastes `credential` into the scheme whose box shows `label`, authorizes, closes the dialog. */
  async function authorizeWith(dialog: Locator, label: string, credential: string): Promise<void> {
    const scheme = dialog.locator('.auth-container').filter({ hasText: label }).first();
    await scheme.locator('input').fill(credential);
    await scheme.locator('button.authorize').click();
    await expect(scheme.innerText()).resolves.toContain('Authorized');
    await dialog.locator('button.btn-done').first().click();
  }

  it('answers 401 before Authorize and 201 after pasting a provider token under bearer', async () => {
    const dialog = await openDocsUnauthorized();
    // The client-credentials flow names the token URL discovery found at the provider.
    await expect(dialog.innerText()).resolves.toContain(`${idp.issuer}/token`);
    await authorizeWith(dialog, 'bearer', await idp.token('books:write'));

    const book = bookInput();
    await expect(createBook(book)).resolves.toBe('201');
    const rows = await query(db.url, 'SELECT title FROM books WHERE isbn = $1', [book.isbn]);
    expect(rows).toEqual([{ title: book.title }]);
  });

  it('answers 401 before Authorize and 201 after pasting an API key under apiKey', async () => {
    const created = await app.app.get(ApiKeyStore).create('swagger-ui', ['books:write'], null);
    const dialog = await openDocsUnauthorized();
    await authorizeWith(dialog, 'X-API-Key', created!.key);

    const book = bookInput();
    await expect(createBook(book)).resolves.toBe('201');
    const rows = await query(db.url, 'SELECT created_by FROM books WHERE isbn = $1', [book.isbn]);
    expect(rows).toEqual([{ created_by: 'swagger-ui' }]);
  });
});
