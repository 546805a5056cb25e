-- What a walk costs per row (docs/decisions/0012-list-walk-plan.md): :rows rows of the
-- (created_at, id) index, with the filter `:filter` on each (true, or a q's ILIKE pair). Run it
-- at two sizes; the difference of the latencies over the difference of the rows is the cost of a row.
--   pgbench -n -c 1 -t 20 -D rows=200000 -D filter=true -f bench/repro/pgbench/walk-rows.sql "$LAB_URL"
SELECT count(*) FROM (SELECT title, author FROM books ORDER BY created_at, id LIMIT :rows) b WHERE :filter;
