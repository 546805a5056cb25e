import { Browser, chromium, Page } from 'playwright-core';
import { bookInput } from '../factories/book.factory';
import { IdentityProvider } from '../helpers/identity-provider';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, query, TestDatabase } from '../helpers/test-database';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Swagger UI's Authorize in a real Chromium, with a token from a real OpenID provider (access control on). */
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

  it('answers 401 before Authorize and 201 after pasting a provider token under bearer', async () => {
    await page.goto(`${app.baseUrl}/docs`, { waitUntil: 'networkidle' });
    const authorize = page.locator('.swagger-ui .auth-wrapper button.authorize');
    await authorize.waitFor({ state: 'visible', timeout: 15000 });
    await expect(createBook(bookInput())).resolves.toBe('401');

    await authorize.click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    // The client-credentials flow names the token URL discovery found at the provider.
    await expect(dialog.innerText()).resolves.toContain(`${idp.issuer}/token`);
    const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearer' }).first();
    await bearer.locator('input').fill(await idp.token('books:write'));
    await bearer.locator('button.authorize').click();
    await expect(bearer.innerText()).resolves.toContain('Authorized');
    await dialog.locator('button.btn-done').first().click();

    const book = bookInput();
    await expect(createBook(book)).resolves.toBe('201');
    const rows = await query(db.url, 'SELECT title FROM books WHERE isbn = $1', [book.isbn]);
    expect(rows).toEqual([{ title: book.title }]);
  });
});
