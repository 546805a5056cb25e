-- GET /books?author=Ursula K. Le Guin&publishedFrom=1960
-- params: ["Ursula K. Le Guin",1960]
EXPLAIN (FORMAT JSON) SELECT 1 FROM books book WHERE book.author = $1 AND book.published_year >= $2;

-- GET /books?q=silent harbor needle
-- params: ["%silent harbor needle%","silent:*","harbor:*","needle:*"]
EXPLAIN (FORMAT JSON) SELECT 1 FROM books book WHERE (book.title ILIKE $1 OR book.author ILIKE $1) UNION ALL SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ to_tsquery('simple', $2) UNION ALL SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ to_tsquery('simple', $3) UNION ALL SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ to_tsquery('simple', $4) UNION ALL SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ $$'-':*$$::tsquery;

-- GET /books?search=Halfway Silent
-- params: ["Halfway Silent","halfway","silent"]
EXPLAIN (FORMAT JSON) SELECT 1 FROM books book WHERE book.search_vector @@ websearch_to_tsquery('simple', $1) UNION ALL SELECT 1 FROM books book WHERE book.search_vector @@ to_tsquery('simple', $2) UNION ALL SELECT 1 FROM books book WHERE book.search_vector @@ to_tsquery('simple', $3) UNION ALL SELECT 1 FROM books book;

-- GET /books?search=Needle
-- params: ["Needle"]
EXPLAIN (FORMAT JSON) SELECT 1 FROM books book WHERE book.search_vector @@ websearch_to_tsquery('simple', $1) UNION ALL SELECT 1 FROM books book WHERE book.search_vector @@ $$'-'$$::tsquery;

-- GET /books?search="winter cathedral"&isbn=9780262033848
-- params: ["9780262033848","\"winter cathedral\""]
EXPLAIN (FORMAT JSON) SELECT 1 FROM books book WHERE book.isbn = $1 AND book.search_vector @@ websearch_to_tsquery('simple', $2) UNION ALL SELECT 1 FROM books book WHERE book.search_vector @@ $$'-'$$::tsquery;
