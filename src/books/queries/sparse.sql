-- GET /books?author=Ursula K. Le Guin
-- params: ["Ursula K. Le Guin",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by FROM books book WHERE book.author = $1), m AS MATERIALIZED (SELECT * FROM c LIMIT 2001) SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_key FROM m book
        WHERE true ORDER BY book.created_at ASC, book.id ASC
        LIMIT $2 OFFSET $3
      ) b ON true;

-- GET /books?isbn=9780262033848&publishedFrom=1990&publishedTo=2000&sort=publishedYear
-- params: ["9780262033848",1990,2000,21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by FROM books book WHERE book.isbn = $1 AND book.published_year >= $2 AND book.published_year <= $3), m AS MATERIALIZED (SELECT * FROM c LIMIT 2001) SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.published_year AS cursor_key FROM m book
        WHERE true ORDER BY book.published_year ASC, book.id ASC
        LIMIT $4 OFFSET $5
      ) b ON true;

-- GET /books?q=50%_off\&sort=author&order=desc&cursor=…
-- params: ["%50\\%\\_off\\\\%","Le Guin","0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6",21,0]
WITH c AS MATERIALIZED (SELECT book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by FROM books book WHERE (book.title ILIKE $1 OR book.author ILIKE $1)), m AS MATERIALIZED (SELECT * FROM c LIMIT 2001) SELECT c.*, b.* FROM (SELECT count(*)::int AS total FROM m) c LEFT JOIN LATERAL (
        SELECT id, title, author, isbn, published_year AS "publishedYear", page_count AS "pageCount", summary, created_at AS "createdAt", updated_at AS "updatedAt", version, created_by AS "createdBy", updated_by AS "updatedBy", book.author AS cursor_key FROM m book
        WHERE (book.author, book.id) < ($2, $3::uuid) ORDER BY book.author DESC, book.id DESC
        LIMIT $4 OFFSET $5
      ) b ON true;
