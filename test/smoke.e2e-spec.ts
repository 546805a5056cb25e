import request from 'supertest';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startTestApp, TestApp } from './helpers/test-app';

describe('smoke', () => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase('smoke');
    app = await startTestApp(db.url);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });
  it('creates and reads a book', async () => {
    const created = await request(app.baseUrl)
      .post('/books')
      .send({ title: 'Dune', author: 'Frank Herbert', isbn: '0441172717', publishedYear: 1965 })
      .expect(201);
    await request(app.baseUrl).get(`/books/${created.body.id}`).expect(200);
  });
});
