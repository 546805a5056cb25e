import { bookInput, countBooks } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';

/**
 * Limits per caller (no credential here, so the caller is the forwarded client IP): THROTTLE_LIMIT
 * requests and THROTTLE_WRITE_LIMIT written books per window, an IPv6 client counted by its /64.
 */
describe('Rate limits per caller: IPv6 /64, the write budget, a batch counted per book', () => {
  const fixture = useBooksApp('rate_callers', {
    THROTTLE_ENABLED: 'true',
    THROTTLE_LIMIT: '5',
    THROTTLE_WRITE_LIMIT: '3',
    THROTTLE_TTL_MS: '60000',
    TRUST_PROXY: '127.0.0.1',
  });
  const get = (ip: string) => fixture.api().get('/books?limit=1').set('X-Forwarded-For', ip);
  const post = (ip: string, body: object, path = '/books') =>
    fixture.api().post(path).set('X-Forwarded-For', ip).send(body);

  it('one IPv6 /64 shares one budget; the next /64 has its own', async () => {
    const statuses: number[] = [];
    for (const host of ['a', 'b', 'c', 'd', 'e', 'f']) statuses.push((await get(`2001:db8:1:2::${host}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await get('2001:db8:1:2:ffff:ffff:ffff:ffff')).status).toBe(429);
    expect((await get('2001:db8:1:3::a')).status).toBe(200);
    // IPv4 clients are counted one address each.
    expect((await get('198.51.100.1')).status).toBe(200);
  });

  it('writes have their own, tighter budget: the 4th write is 429 while reads still pass', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 3; i++) expect((await post(ip, bookInput())).status).toBe(201);
    const refused = await post(ip, bookInput());
    expectProblem(refused, 429, { detail: /Too many writes: at most 3 books written per 60 s/ });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The 5th request of the general budget: still served, its last.
    const read = await get(ip);
    expect(read.status).toBe(200);
    expect(read.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('a batch counts one unit per book: 2 books pass, 2 more are refused and not written', async () => {
    const ip = '203.0.113.20';
    const before = await countBooks(fixture.db.url);
    const first = await post(ip, { books: [bookInput(), bookInput()] }, '/books/batch');
    expect(first.status).toBe(201);
    expect(first.headers['x-ratelimit-remaining-writes']).toBe('1');
    const second = await post(ip, { books: [bookInput(), bookInput()] }, '/books/batch');
    expectProblem(second, 429, { detail: /a batch counts each book/ });
    await expect(countBooks(fixture.db.url)).resolves.toBe(before + 2);
    // One single write is still within another caller's budget.
    expect((await post('203.0.113.21', bookInput())).status).toBe(201);
  });
});
