import { deleteBookSql, insertBooksSql, updateBookSql } from './book-sql';

describe('write statements', () => {
  it('INSERT numbers each row after the one before, version 1, the caller last for every row', () => {
    const sql = insertBooksSql(2);
    expect(sql).toContain(
      'INSERT INTO books (title, author, isbn, published_year, page_count, summary, version, created_by, updated_by) ' +
        'VALUES ($1, $2, $3, $4, $5, $6, 1, $13, $13), ($7, $8, $9, $10, $11, $12, 1, $13, $13) RETURNING id,',
    );
  });

  it('UPDATE sets the given fields from $2, then updated_by, bumps the version, and matches versions last', () => {
    expect(updateBookSql(['title', 'pageCount'], true)).toMatch(
      /^UPDATE books SET title = \$2, page_count = \$3, updated_by = \$4, version = version \+ 1, updated_at = now\(\) WHERE id = \$1 AND version = ANY\(\$5::int\[\]\) RETURNING id,/,
    );
    expect(updateBookSql(['summary'], false)).toMatch(
      /^UPDATE books SET summary = \$2, updated_by = \$3, version = version \+ 1, updated_at = now\(\) WHERE id = \$1 RETURNING /,
    );
  });

  it('UPDATE with no field only records the caller and bumps the version (still valid SQL)', () => {
    expect(updateBookSql([], true)).toMatch(
      /^UPDATE books SET updated_by = \$2, version = version \+ 1, updated_at = now\(\) WHERE id = \$1 AND version = ANY\(\$3::int\[\]\) RETURNING /,
    );
  });

  it('DELETE matches versions only when asked', () => {
    expect(deleteBookSql(false)).toBe('DELETE FROM books WHERE id = $1');
    expect(deleteBookSql(true)).toBe('DELETE FROM books WHERE id = $1 AND version = ANY($2::int[])');
  });
});
