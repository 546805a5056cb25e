-- What planning a `q` costs at a column's statistics target (docs/decisions/0014-search-statistics-target.md):
-- EXPLAIN plans the ILIKE pair without running it, so the latency is the planning and a round trip.
-- Compare targets on the same table, ANALYZE after each change (the migration sets 300):
--   psql "$LAB_URL" -c 'ALTER TABLE books ALTER COLUMN title SET STATISTICS 100, ALTER COLUMN author SET STATISTICS 100' -c 'ANALYZE books (title, author)'
--   pgbench -n -c 1 -t 500 -D word=Tailwind -f bench/repro/pgbench/estimate-q.sql "$LAB_URL"
EXPLAIN SELECT id FROM books WHERE title ILIKE '%:word%' OR author ILIKE '%:word%';
