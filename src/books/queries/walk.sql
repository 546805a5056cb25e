-- GET /books?q=title 1
-- params: ["%title 1%",21,0,20]
WITH p AS MATERIALIZED (SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_key FROM (
        SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by FROM books book WHERE true ORDER BY book.created_at ASC, book.id ASC LIMIT 2000
      ) book WHERE (book.title ILIKE $1 OR book.author ILIKE $1) ORDER BY book.created_at ASC, book.id ASC
      LIMIT $2 OFFSET $3), e AS MATERIALIZED (SELECT book.id AS end_id, to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS end_key FROM (
        SELECT book.id, book.created_at FROM books book
        WHERE true AND (SELECT count(*) FROM p) <= $4
        ORDER BY book.created_at ASC, book.id ASC OFFSET 1999 LIMIT 1
      ) book)
      SELECT p.*, e.* FROM (SELECT) one LEFT JOIN e ON true LEFT JOIN p ON true;

-- GET /books?author=Anonymous&sort=publishedYear&order=desc&cursor=…
-- params: ["Anonymous",1999,"0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0,1999,"0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",20]
WITH p AS MATERIALIZED (SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.published_year AS cursor_key FROM (
        SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by FROM books book WHERE (book.published_year, book.id) < ($2, $3::uuid) ORDER BY book.published_year DESC, book.id DESC LIMIT 2000
      ) book WHERE book.author = $1 ORDER BY book.published_year DESC, book.id DESC
      LIMIT $4 OFFSET $5), e AS MATERIALIZED (SELECT book.id AS end_id, book.published_year AS end_key FROM (
        SELECT book.id, book.published_year FROM books book
        WHERE (book.published_year, book.id) < ($6, $7::uuid) AND (SELECT count(*) FROM p) <= $8
        ORDER BY book.published_year DESC, book.id DESC OFFSET 1999 LIMIT 1
      ) book)
      SELECT p.*, e.* FROM (SELECT) one LEFT JOIN e ON true LEFT JOIN p ON true;
