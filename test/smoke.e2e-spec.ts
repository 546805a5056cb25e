import request from 'supertest';
import { useBooksApp } from './helpers/books-app';

describe('smoke', () => {
  const fixture = useBooksApp('smoke');
  it('creates and reads a book', async () => {
    const created = await request(fixture.baseUrl)
      .post('/books')
      .send({ title: 'Dune', author: 'Frank Herbert', isbn: '0441172717', publishedYear: 1965 })
      .expect(201);
    const read = await request(fixture.baseUrl).get(`/books/${created.body.id}`).expect(200);
    expect(read.body).toMatchObject({ id: created.body.id, title: 'Dune', isbn: '9780441172719' });
  });
});
