-- The walk plan (docs/decisions/0012-list-walk-plan.md): at most :budget rows of the
-- (created_at, id) index in :dir order, `q` checked on each, the first 21 matches.
--   pgbench -n -c 1 -t 40 -D word=Tailwind -D dir=ASC -D budget=2000 -f bench/repro/pgbench/list-walk.sql "$LAB_URL"
SELECT id FROM (SELECT id, title, author, created_at FROM books ORDER BY created_at :dir, id :dir LIMIT :budget) b
WHERE title ILIKE '%:word%' OR author ILIKE '%:word%'
ORDER BY created_at :dir, id :dir LIMIT 21;
