-- The sparse plan as shipped (docs/decisions/0011-list-sparse-plan.md, src/books/queries/sparse.sql):
-- the matches in a materialized CTE without a LIMIT, so they are planned for all rows (a bitmap),
-- at most 2,001 of them counted, sorted and paged.
--   pgbench -n -c 1 -t 40 -D word=Needle -f bench/repro/pgbench/list-sparse.sql "$LAB_URL"
WITH c AS MATERIALIZED (SELECT id, created_at FROM books WHERE title ILIKE '%:word%' OR author ILIKE '%:word%'),
m AS MATERIALIZED (SELECT * FROM c LIMIT 2001)
SELECT t.total, p.id FROM (SELECT count(*)::int AS total FROM m) t
LEFT JOIN LATERAL (SELECT id FROM m ORDER BY created_at, id LIMIT 21) p ON true;
