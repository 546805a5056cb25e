-- One book inserted in its own transaction, as POST /books writes it (src/books/book-sql.ts);
-- the triggers that keep search_vector and book_words run with it. For the cost of book_words'
-- trigger (docs/decisions/0016-search-words-table.md), interleave rounds with it off:
--   psql "$LAB_URL" -c 'ALTER TABLE books DISABLE TRIGGER book_words_sync_trg'   # … ENABLE after
--   pgbench -n -c 4 -j 2 -T 8 -M prepared -f bench/repro/pgbench/write-book.sql "$LAB_URL"
\set n random(1, 999999999)
BEGIN;
INSERT INTO books (title, author, isbn, published_year, page_count, summary, version)
  VALUES ('Silent Harbor Halfway', 'Ada Abara', '979' || lpad(:n::text, 10, '0'), 2001, 300, 'A pgbench book', 1)
  ON CONFLICT (isbn) DO NOTHING;
COMMIT;
