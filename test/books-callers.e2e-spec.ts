import { BooksService } from '../src/books/books.service';
import { bookInput, bookRow } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';

interface Attributed {
  id: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/**
 * createdBy/updatedBy: the server records the caller's name (the guard's principal) on each write;
 * clients cannot set either. This app runs with no credential checked, so HTTP writes record null.
 */
describe('Books: who created and last changed each book (real PostgreSQL)', () => {
  const fixture = useBooksApp('books_callers');
  const books = () => fixture.app.app.get(BooksService);

  it('a client cannot set createdBy or updatedBy (400, nothing written)', async () => {
    for (const field of ['createdBy', 'updatedBy']) {
      const input = bookInput();
      const res = await fixture
        .api()
        .post('/books')
        .send({ ...input, [field]: 'mallory' });
      expectProblem(res, 400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
    const created = (await fixture.api().post('/books').send(bookInput()).expect(201)).body as Attributed;
    const patch = await fixture.api().patch(`/books/${created.id}`).set('If-Match', '*').send({ updatedBy: 'mallory' });
    expectProblem(patch, 400);
    await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ created_by: null, updated_by: null });
  });

  it('without a principal both are null, in the answer and the row', async () => {
    const res = await fixture.api().post('/books').send(bookInput()).expect(201);
    expect(res.body).toMatchObject({ createdBy: null, updatedBy: null });
    const got = await fixture
      .api()
      .get(`/books/${(res.body as Attributed).id}`)
      .expect(200);
    expect(got.body).toMatchObject({ createdBy: null, updatedBy: null });
  });

  it('the caller is recorded on create, batch and update, and returned by every read', async () => {
    const created = await books().create(bookInput(), 'ci-deploy');
    expect(created).toMatchObject({ createdBy: 'ci-deploy', updatedBy: 'ci-deploy' });
    const updated = await books().update(created.id, { title: 'Changed' }, '*', 'https://issuer/ alice');
    expect(updated).toMatchObject({ createdBy: 'ci-deploy', updatedBy: 'https://issuer/ alice', version: 2 });
    await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({
      created_by: 'ci-deploy',
      updated_by: 'https://issuer/ alice',
    });
    const author = 'Callers Suite Author';
    const batch = await books().createMany([bookInput({ author }), bookInput({ author })], 'importer');
    expect(batch.map((book) => [book.createdBy, book.updatedBy])).toEqual([
      ['importer', 'importer'],
      ['importer', 'importer'],
    ]);
    const one = await fixture.api().get(`/books/${created.id}`).expect(200);
    expect(one.body).toMatchObject({ createdBy: 'ci-deploy', updatedBy: 'https://issuer/ alice' });
    const list = await fixture
      .api()
      .get(`/books?author=${encodeURIComponent(author)}`)
      .expect(200);
    const listed = (list.body as { data: Attributed[] }).data.find((book) => book.id === batch[0].id);
    expect(listed).toMatchObject({ createdBy: 'importer', updatedBy: 'importer' });
  });
});
