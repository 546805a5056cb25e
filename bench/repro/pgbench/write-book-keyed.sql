-- A keyed POST's transaction (docs/decisions/0023-idempotency-record-only.md): the book, then the
-- key's record as src/idempotency/idempotency-store.ts writes it. Against write-book.sql, the
-- key's share of the transaction; with -D lookup=1, 0021's look-up first (advisory lock and read):
--   pgbench -n -c 4 -j 2 -T 8 -M prepared -D lookup=0 -f bench/repro/pgbench/write-book-keyed.sql "$LAB_URL"
\set n random(1, 999999999)
\set k random(1, 999999999)
BEGIN;
\if :lookup
SELECT pg_try_advisory_xact_lock(1, hashtext(:k::text)),
  (SELECT status FROM idempotency_keys WHERE id = sha256(convert_to(:k::text, 'UTF8')) AND expires_at > now());
\endif
INSERT INTO books (title, author, isbn, published_year, page_count, summary, version)
  VALUES ('Silent Harbor Halfway', 'Ada Abara', '979' || lpad(:n::text, 10, '0'), 2001, 300, 'A pgbench book', 1)
  ON CONFLICT (isbn) DO NOTHING;
INSERT INTO idempotency_keys AS k (id, scope, method, route, key, fingerprint, status, body, location, etag, expires_at)
  SELECT sha256(convert_to(:k::text, 'UTF8')), 'anonymous', 'POST', '/books', :k::text, sha256('body'::bytea), 201::smallint,
    '{"id":"0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6"}', '/books/0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6', '"1"',
    now() + make_interval(hours => 24)
  WHERE set_config('lock_timeout', '5000', true) IS NOT NULL
  ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at
    WHERE k.expires_at <= now()
  RETURNING 1;
COMMIT;
