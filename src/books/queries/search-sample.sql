-- GET /books?search=title (expected 123456)
-- params: ["title",null,null,123456,21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, t.blocks::int,
            to_char(t.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of FROM (
            SELECT blocks, as_of FROM (SELECT coalesce($2::int, (pg_relation_size('books') / current_setting('block_size')::int)::int)::bigint AS blocks, coalesce($3::timestamptz, now()) AS as_of OFFSET 0) size WHERE $4::float8 * 400 >= 251 * blocks
          ) t CROSS JOIN generate_series(0, 49) AS k(i)
          CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN 49 - k.i / 2 ELSE k.i / 2 END AS n) s
          CROSS JOIN LATERAL (
            SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, book.search_vector FROM books book
            WHERE book.ctid >= format('(%s,0)', s.n * greatest(t.blocks - 8, 0) / 49)::tid AND book.ctid < format('(%s,0)', CASE WHEN s.n = 49 THEN t.blocks ELSE least(s.n * greatest(t.blocks - 8, 0) / 49 + 8, (s.n + 1) * greatest(t.blocks - 8, 0) / 49) END)::tid
              AND book.created_at <= t.as_of AND ts_match_vq(book.search_vector, websearch_to_tsquery('simple', $1)) LIMIT 251
          ) book), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE true ORDER BY book.rank DESC, book.id DESC
        LIMIT $5 OFFSET $6
      ) b ON true;

-- GET /books?search=title&cursor=… (a sample page)
-- params: ["title",4321,"2026-01-02T03:04:05.678901Z",123456,"0.0607927","0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $1), 1) AS rank, t.blocks::int,
            to_char(t.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of FROM (
            SELECT blocks, as_of FROM (SELECT coalesce($2::int, (pg_relation_size('books') / current_setting('block_size')::int)::int)::bigint AS blocks, coalesce($3::timestamptz, now()) AS as_of OFFSET 0) size WHERE $4::float8 * 400 >= 251 * blocks
          ) t CROSS JOIN generate_series(0, 49) AS k(i)
          CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN 49 - k.i / 2 ELSE k.i / 2 END AS n) s
          CROSS JOIN LATERAL (
            SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, book.search_vector FROM books book
            WHERE book.ctid >= format('(%s,0)', s.n * greatest(t.blocks - 8, 0) / 49)::tid AND book.ctid < format('(%s,0)', CASE WHEN s.n = 49 THEN t.blocks ELSE least(s.n * greatest(t.blocks - 8, 0) / 49 + 8, (s.n + 1) * greatest(t.blocks - 8, 0) / 49) END)::tid
              AND book.created_at <= t.as_of AND ts_match_vq(book.search_vector, websearch_to_tsquery('simple', $1)) LIMIT 251
          ) book), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE (book.rank, book.id) < ($5::real, $6::uuid) ORDER BY book.rank DESC, book.id DESC
        LIMIT $7 OFFSET $8
      ) b ON true;

-- GET /books?search=title&author=Anonymous (expected 123456)
-- params: ["Anonymous","title",null,null,123456,21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, ts_rank(book.search_vector, websearch_to_tsquery('simple', $2), 1) AS rank, t.blocks::int,
            to_char(t.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of FROM (
            SELECT blocks, as_of FROM (SELECT coalesce($3::int, (pg_relation_size('books') / current_setting('block_size')::int)::int)::bigint AS blocks, coalesce($4::timestamptz, now()) AS as_of OFFSET 0) size WHERE $5::float8 * 400 >= 251 * blocks
          ) t CROSS JOIN generate_series(0, 49) AS k(i)
          CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN 49 - k.i / 2 ELSE k.i / 2 END AS n) s
          CROSS JOIN LATERAL (
            SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by, book.search_vector FROM books book
            WHERE book.ctid >= format('(%s,0)', s.n * greatest(t.blocks - 8, 0) / 49)::tid AND book.ctid < format('(%s,0)', CASE WHEN s.n = 49 THEN t.blocks ELSE least(s.n * greatest(t.blocks - 8, 0) / 49 + 8, (s.n + 1) * greatest(t.blocks - 8, 0) / 49) END)::tid
              AND book.created_at <= t.as_of AND ts_match_vq(book.search_vector, websearch_to_tsquery('simple', $2)) AND book.author = $1 LIMIT 251
          ) book), m AS MATERIALIZED (SELECT * FROM c LIMIT 251)
      SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE true ORDER BY book.rank DESC, book.id DESC
        LIMIT $6 OFFSET $7
      ) b ON true;
