import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import { uniqueIsbn13 } from '../factories/book.factory';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, query, TestDatabase } from '../helpers/test-database';

/** Debian's Chromium (apt-get install chromium); CHROMIUM_PATH overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '../../test-output/browser');

/**
 * A person exploring the API: Swagger UI in a real Chromium against the running service,
 * using "Try it out" and reading what the page renders (status, headers, body).
 */
describe('Swagger UI in Chromium', () => {
  let db: TestDatabase;
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const book = { title: `Browser Test ${randomUUID().slice(0, 8)}`, author: 'Ada Lovelace', isbn: uniqueIsbn13() };

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase('browser');
    // Access control off: this suite explores the books operations; swagger-authorize covers Authorize.
    app = await startTestApp(db, { AUTH_DISABLED: 'true' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    // A Content-Security-Policy that blocks Swagger UI shows up here, not as a failed request.
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) {
        pageErrors.push(`console: ${message.text()}`);
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.drop();
  });

  /** Expands an operation, switches it to "Try it out" and returns its block. */
  async function tryItOut(operationId: string): Promise<Locator> {
    const block = page.locator(`#operations-books-${operationId}`);
    await block.locator('.opblock-summary').first().click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    return block;
  }

  /** The "Server response" row Swagger UI renders after Execute. */
  async function execute(block: Locator): Promise<{ status: string; headers: string; body: string }> {
    await block.getByRole('button', { name: 'Execute' }).click();
    const row = block.locator('.live-responses-table tbody tr.response');
    await row.waitFor({ state: 'visible', timeout: 15000 });
    const description = row.locator('td.response-col_description');
    await description.locator('.microlight').first().waitFor();
    return {
      status: (await row.locator('td.response-col_status').innerText()).trim(),
      headers: await description.locator('.response-headers, pre.microlight').last().innerText(),
      body: await description.locator('pre.microlight').first().innerText(),
    };
  }

  it('renders the document with every operation', async () => {
    const response = await page.goto(`${app.baseUrl}/docs`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .info .title').waitFor();
    await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain('bookapi');
    for (const id of ['createBook', 'createBooksBatch', 'listBooks', 'getBook', 'updateBook', 'deleteBook']) {
      await expect(page.locator(`#operations-books-${id}`).count()).resolves.toBe(1);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, '1-docs.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('creates a book with "Try it out" on POST /books and shows 201', async () => {
    const block = await tryItOut('createBook');
    await block.locator('textarea.body-param__text').fill(JSON.stringify({ ...book, publishedYear: 1843 }, null, 2));
    const result = await execute(block);
    await block.screenshot({ path: path.join(SCREENSHOTS, '2-post-books-201.png') });

    expect(result.status).toBe('201');
    expect(JSON.parse(result.body)).toMatchObject({ ...book, publishedYear: 1843, version: 1 });
    const rows = await query(db.url, 'SELECT title, author, published_year FROM books WHERE isbn = $1', [book.isbn]);
    expect(rows).toEqual([{ title: book.title, author: book.author, published_year: 1843 }]);
    expect(pageErrors).toEqual([]);
  });

  it('lists it with "Try it out" on GET /books', async () => {
    const block = await tryItOut('listBooks');
    await block.locator('tr[data-param-name="q"] input').fill(book.title);
    const result = await execute(block);
    await block.screenshot({ path: path.join(SCREENSHOTS, '3-get-books-200.png') });

    expect(result.status).toBe('200');
    const listed = JSON.parse(result.body) as { data: { isbn: string; title: string }[]; meta: { total: number } };
    expect(listed.meta.total).toBe(1);
    expect(listed.data.map((b) => [b.isbn, b.title])).toEqual([[book.isbn, book.title]]);
  });

  it('renders a 404 as problem+json for an unknown id on GET /books/{id}', async () => {
    const id = randomUUID();
    const block = await tryItOut('getBook');
    await block.locator('tr[data-param-name="id"] input').fill(id);
    const result = await execute(block);
    await block.screenshot({ path: path.join(SCREENSHOTS, '4-get-book-404.png') });

    expect(result.status).toBe('404');
    expect(result.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(result.body)).toMatchObject({
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      instance: `/books/${id}`,
    });
    expect(pageErrors).toEqual([]);
  });
});
