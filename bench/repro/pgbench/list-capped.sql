-- The earlier sparse plan (docs/decisions/0011-list-sparse-plan.md): the first :cap matches of `q`
-- in no order, then sorted and paged. The planner sees the LIMIT and may pick a table scan;
-- PGOPTIONS='-c enable_seqscan=off -c enable_indexscan=off' forces the trigram bitmap.
--   pgbench -n -c 1 -t 40 -D word=Everywhere -D cap=1001 -f bench/repro/pgbench/list-capped.sql "$LAB_URL"
SELECT id FROM (SELECT id, created_at FROM books WHERE title ILIKE '%:word%' OR author ILIKE '%:word%' LIMIT :cap) m
ORDER BY created_at, id LIMIT 21;
