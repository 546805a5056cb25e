import { buildAppConfig } from './app.config';

describe('DOCS_ENABLED', () => {
  it('is on in development and test, off in production, and DOCS_ENABLED decides either way', () => {
    expect(buildAppConfig({}).docsEnabled).toBe(true);
    expect(buildAppConfig({ NODE_ENV: 'test' }).docsEnabled).toBe(true);
    expect(buildAppConfig({ NODE_ENV: 'production' }).docsEnabled).toBe(false);
    expect(buildAppConfig({ NODE_ENV: 'production', DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    expect(buildAppConfig({ DOCS_ENABLED: 'false' }).docsEnabled).toBe(false);
  });

  it('names the variable when the value is not a boolean', () => {
    expect(() => buildAppConfig({ DOCS_ENABLED: 'maybe' })).toThrow('DOCS_ENABLED must be true or false (got "maybe")');
  });
});
