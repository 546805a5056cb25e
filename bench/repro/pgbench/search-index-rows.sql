-- A very common word checked on the rows (docs/decisions/0017-search-common-words.md): the index
-- reads `:indexed` (the rarer words), `:words` (the whole search) is checked on each row with
-- ts_match_vq, which no index serves. Run it as the service does, under BITMAP_ONLY:
--   PGOPTIONS='-c enable_seqscan=off -c enable_indexscan=off' pgbench -n -c 1 -t 40 \
--     -D 'words=Halfway silent Everywhere' -D 'indexed=silent Everywhere' -f bench/repro/pgbench/search-index-rows.sql "$LAB_URL"
-- With -D indexed equal to words it is the whole AND in the index.
WITH c AS MATERIALIZED (SELECT id, ts_rank(search_vector, q, 1) AS rank
  FROM books, websearch_to_tsquery('simple', ':words') q, websearch_to_tsquery('simple', ':indexed') i
  WHERE search_vector @@ i AND ts_match_vq(search_vector, q)),
m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
SELECT t.total, p.id FROM (SELECT count(*)::int AS total FROM m) t
LEFT JOIN LATERAL (SELECT id FROM m ORDER BY rank DESC, id DESC LIMIT 21) p ON true;
