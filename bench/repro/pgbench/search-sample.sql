-- A common word ranked from a sample of the table (docs/decisions/0015-search-sample.md,
-- src/books/queries/search-sample.sql): :slices stretches of :pages heap pages from the first page
-- to the last, read from both ends inwards, one Tid Range Scan each, the first 251 matches.
--   pgbench -n -c 1 -t 40 -D words=Everywhere -D slices=50 -D pages=8 -f bench/repro/pgbench/search-sample.sql "$LAB_URL"
WITH t AS MATERIALIZED (SELECT (pg_relation_size('books') / current_setting('block_size')::int)::int AS blocks),
c AS MATERIALIZED (SELECT book.id, ts_rank(book.search_vector, websearch_to_tsquery('simple', ':words'), 1) AS rank
  FROM t CROSS JOIN generate_series(0, :slices - 1) AS k(i)
  CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN :slices - 1 - k.i / 2 ELSE k.i / 2 END AS n) s
  CROSS JOIN LATERAL (
    SELECT id, search_vector FROM books book
    WHERE book.ctid >= format('(%s,0)', s.n * greatest(t.blocks - :pages, 0) / (:slices - 1))::tid
      AND book.ctid < format('(%s,0)', s.n * greatest(t.blocks - :pages, 0) / (:slices - 1) + :pages)::tid
      AND ts_match_vq(book.search_vector, websearch_to_tsquery('simple', ':words')) LIMIT 251) book),
m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
SELECT t.total, p.id FROM (SELECT count(*)::int AS total FROM m) t
LEFT JOIN LATERAL (SELECT id FROM m ORDER BY rank DESC, id DESC LIMIT 21) p ON true;
