-- Two common words merged from book_words (docs/decisions/0016-search-words-table.md,
-- src/books/queries/words.sql): each word's first 25,000 entries in book_id order, merged, then each
-- book by its primary key, checked against search_vector, until 251 pass.
--   pgbench -n -c 1 -t 200 -D w1=halfway -D w2=silent -f bench/repro/pgbench/search-words.sql "$LAB_URL"
WITH m AS MATERIALIZED (
  SELECT b.id, ts_rank(b.search_vector, q, 1) AS rank
  FROM (SELECT a.book_id FROM (SELECT book_id FROM book_words WHERE word = ':w1' ORDER BY book_id LIMIT 25000) a
        JOIN (SELECT book_id FROM book_words WHERE word = ':w2' ORDER BY book_id LIMIT 25000) z USING (book_id)
        ORDER BY a.book_id OFFSET 0) w
  CROSS JOIN LATERAL (SELECT plainto_tsquery('simple', ':w1 :w2') AS q) qq
  JOIN LATERAL (SELECT id, search_vector FROM books WHERE id = w.book_id OFFSET 0) b ON b.search_vector @@ q
  LIMIT 251)
SELECT t.total, p.id FROM (SELECT count(*)::int AS total FROM m) t
LEFT JOIN LATERAL (SELECT id FROM m ORDER BY rank DESC, id DESC LIMIT 21) p ON true;
