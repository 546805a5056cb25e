-- An offset page without keyset or cap (docs/decisions/0010-list-unfiltered.md): PostgreSQL reads
-- and discards every row it skips. `page=25000` at 20 a page skips 499,980 rows.
--   pgbench -n -c 1 -t 10 -D skip=499980 -f bench/repro/pgbench/offset-page.sql "$LAB_URL"
SELECT id FROM books ORDER BY created_at, id OFFSET :skip LIMIT 21;
