-- GET /books?search=winter cathedral
-- params: ["winter cathedral",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, NULL::int AS blocks, NULL::text AS as_of FROM books book WHERE book.search_vector @@ websearch_to_tsquery('simple', $1)), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE true ORDER BY book.rank DESC, book.id DESC
        LIMIT $2 OFFSET $3
      ) b ON true;

-- GET /books?search=title 12&cursor=…
-- params: ["title 12","0.0607927","0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, NULL::int AS blocks, NULL::text AS as_of FROM books book WHERE book.search_vector @@ websearch_to_tsquery('simple', $1)), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE (book.rank, book.id) < ($2::real, $3::uuid) ORDER BY book.rank DESC, book.id DESC
        LIMIT $4 OFFSET $5
      ) b ON true;

-- GET /books?search=halfway silent everywhere (halfway common)
-- params: ["halfway silent everywhere","silent & everywhere",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, NULL::int AS blocks, NULL::text AS as_of FROM books book WHERE book.search_vector @@ to_tsquery('simple', $2) AND ts_match_vq(book.search_vector, websearch_to_tsquery('simple', $1))), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE true ORDER BY book.rank DESC, book.id DESC
        LIMIT $3 OFFSET $4
      ) b ON true;
