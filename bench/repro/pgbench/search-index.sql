-- `search` through the GIN index of search_vector (docs/decisions/0013-search-vector.md,
-- src/books/queries/search-index.sql): every match's posting is read, at most :cap rows of the heap,
-- ranked, the first 21.
--   pgbench -n -c 1 -t 40 -D 'words=Tailwind' -D cap=251 -f bench/repro/pgbench/search-index.sql "$LAB_URL"
WITH c AS MATERIALIZED (SELECT id, ts_rank(search_vector, q, 1) AS rank FROM books, websearch_to_tsquery('simple', ':words') q
  WHERE search_vector @@ q),
m AS MATERIALIZED (SELECT * FROM c LIMIT :cap)
SELECT t.total, p.id FROM (SELECT count(*)::int AS total FROM m) t
LEFT JOIN LATERAL (SELECT id FROM m ORDER BY rank DESC, id DESC LIMIT 21) p ON true;
