-- GET /books
-- params: [21,0]
SELECT c.*, b.* FROM (SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
        FROM (SELECT 1 FROM books book LIMIT 10001) capped) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_key FROM books book
        WHERE true ORDER BY book.created_at ASC, book.id ASC
        LIMIT $1 OFFSET $2
      ) b ON true;

-- GET /books?sort=title&order=desc&page=3&limit=50
-- params: [51,100]
SELECT c.*, b.* FROM (SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
        FROM (SELECT 1 FROM books book LIMIT 10001) capped) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.title AS cursor_key FROM books book
        WHERE true ORDER BY book.title DESC, book.id DESC
        LIMIT $1 OFFSET $2
      ) b ON true;

-- GET /books?sort=createdAt&cursor=…
-- params: ["2026-01-02T03:04:05.678901Z","0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0]
SELECT c.*, b.* FROM (SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
        FROM (SELECT 1 FROM books book LIMIT 10001) capped) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_key FROM books book
        WHERE (book.created_at, book.id) > ($1::timestamptz, $2::uuid) ORDER BY book.created_at ASC, book.id ASC
        LIMIT $3 OFFSET $4
      ) b ON true;
