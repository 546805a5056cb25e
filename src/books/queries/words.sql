-- GET /books?search=Halfway Silent
-- params: ["Halfway Silent","Halfway Silent",null,["halfway","silent"],["halfway","silent"],"halfway","silent",21,0]
WITH t AS MATERIALIZED (SELECT coalesce($3::timestamptz, now()) AS as_of, websearch_to_tsquery('simple', $1) = plainto_tsquery('simple', $2)
      AND tsvector_to_array(to_tsvector('simple', $2)) @> $4::text[]
      AND tsvector_to_array(to_tsvector('simple', $2)) <@ $5::text[] AS applies),
      m AS MATERIALIZED (
        SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, NULL::int AS blocks,
          (SELECT to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM t) AS as_of
        -- The merge, then one book at a time by its primary key, in the merge's order. Each side is kept
        -- apart (OFFSET 0: not flattened), so the planner can neither join books into the merge nor join
        -- the lists through books; t is read by one-time filters, so the merge's order serves the ORDER BY.
        FROM (SELECT w0.book_id FROM (SELECT book_id FROM book_words WHERE word = $6  ORDER BY book_id LIMIT 25000) w0 JOIN (SELECT book_id FROM book_words WHERE word = $7  ORDER BY book_id LIMIT 25000) w1 USING (book_id) ORDER BY w0.book_id OFFSET 0) w
        CROSS JOIN LATERAL (
          SELECT * FROM books book
          WHERE book.id = w.book_id AND book.search_vector @@ websearch_to_tsquery('simple', $1) AND book.created_at <= (SELECT as_of FROM t)
          OFFSET 0
        ) book
        WHERE (SELECT applies FROM t)
        ORDER BY w.book_id LIMIT 251
      )
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total, (SELECT applies FROM t) AS applies,
          (SELECT id::text FROM m ORDER BY id DESC LIMIT 1) AS last_id,
          CASE WHEN count(*) <= 250 AND (SELECT applies FROM t) THEN (SELECT count(*) FROM (SELECT book_id FROM book_words WHERE word = $6  ORDER BY book_id LIMIT 25000) w) = 25000 OR (SELECT count(*) FROM (SELECT book_id FROM book_words WHERE word = $7  ORDER BY book_id LIMIT 25000) w) = 25000 ELSE false END AS cut
        FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE true ORDER BY book.rank DESC, book.id DESC
        LIMIT $8 OFFSET $9
      ) b ON true;

-- GET /books?search=halfway silent everywhere&cursor=… (a words page)
-- params: ["halfway silent everywhere","halfway silent everywhere","2026-01-02T03:04:05.678901Z",["halfway","silent","everywhere"],["halfway","silent","everywhere"],"ff5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6","halfway","silent","everywhere","0.0607927","0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0]
WITH t AS MATERIALIZED (SELECT coalesce($3::timestamptz, now()) AS as_of, websearch_to_tsquery('simple', $1) = plainto_tsquery('simple', $2)
      AND tsvector_to_array(to_tsvector('simple', $2)) @> $4::text[]
      AND tsvector_to_array(to_tsvector('simple', $2)) <@ $5::text[] AS applies),
      m AS MATERIALIZED (
        SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, NULL::int AS blocks,
          (SELECT to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM t) AS as_of
        -- The merge, then one book at a time by its primary key, in the merge's order. Each side is kept
        -- apart (OFFSET 0: not flattened), so the planner can neither join books into the merge nor join
        -- the lists through books; t is read by one-time filters, so the merge's order serves the ORDER BY.
        FROM (SELECT w0.book_id FROM (SELECT book_id FROM book_words WHERE word = $7 AND book_id <= $6::uuid ORDER BY book_id LIMIT 50000) w0 JOIN (SELECT book_id FROM book_words WHERE word = $8 AND book_id <= $6::uuid ORDER BY book_id LIMIT 50000) w1 USING (book_id) JOIN (SELECT book_id FROM book_words WHERE word = $9 AND book_id <= $6::uuid ORDER BY book_id LIMIT 50000) w2 USING (book_id) ORDER BY w0.book_id OFFSET 0) w
        CROSS JOIN LATERAL (
          SELECT * FROM books book
          WHERE book.id = w.book_id AND book.search_vector @@ websearch_to_tsquery('simple', $1) AND book.created_at <= (SELECT as_of FROM t)
          OFFSET 0
        ) book
        WHERE (SELECT applies FROM t)
        ORDER BY w.book_id LIMIT 251
      )
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total, (SELECT applies FROM t) AS applies,
          (SELECT id::text FROM m ORDER BY id DESC LIMIT 1) AS last_id,
          CASE WHEN count(*) <= 250 AND (SELECT applies FROM t) THEN false ELSE false END AS cut
        FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE (book.rank, book.id) < ($10::real, $11::uuid) ORDER BY book.rank DESC, book.id DESC
        LIMIT $12 OFFSET $13
      ) b ON true;
