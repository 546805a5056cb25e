-- The first plan for a common word (docs/decisions/0015-search-sample.md): a walk of the newest
-- :budget books (2,000 then) by created_at, the word checked on each, the first 251 matches.
--   pgbench -n -c 1 -t 40 -D words=Everywhere -D budget=2000 -f bench/repro/pgbench/search-walk.sql "$LAB_URL"
SELECT count(*) FROM (SELECT id FROM (SELECT id, search_vector FROM books ORDER BY created_at DESC, id DESC LIMIT :budget) b
  WHERE ts_match_vq(search_vector, websearch_to_tsquery('simple', ':words')) LIMIT 251) m;
