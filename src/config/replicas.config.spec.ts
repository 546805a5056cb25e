import { buildReplicasConfig } from './replicas.config';

const PRIMARY = 'postgres://app:secret@primary:5432/bookapi';

describe('buildReplicasConfig', () => {
  it('has no replicas by default', () => {
    expect(buildReplicasConfig({ DATABASE_URL: PRIMARY })).toEqual({
      urls: [],
      maxLagMs: 5000,
      checkIntervalMs: 250,
      timeoutMs: 500,
    });
  });

  it("splits DATABASE_REPLICA_URLS on commas; a URL without a database reads the primary's", () => {
    const config = buildReplicasConfig({
      DATABASE_URL: PRIMARY,
      DATABASE_REPLICA_URLS: 'postgres://app:secret@r1:5432/bookapi, postgres://app:secret@r2:5432',
    });
    expect(config.urls.map(String)).toEqual([
      'postgres://app:secret@r1:5432/bookapi',
      'postgres://app:secret@r2:5432/bookapi',
    ]);
  });

  it('names every bad value at once, and never echoes a URL', () => {
    const attempt = () =>
      buildReplicasConfig({
        DATABASE_URL: PRIMARY,
        DATABASE_REPLICA_URLS: 'postgres://app:hunter2@r1/bookapi,,mysql://app:hunter2@r2/x',
        DB_REPLICA_MAX_LAG_MS: '-1',
      });
    expect(attempt).toThrow(/DATABASE_REPLICA_URLS item 2 is empty/);
    expect(attempt).toThrow(/DATABASE_REPLICA_URLS item 3 must start with postgres:\/\//);
    expect(attempt).toThrow(/DB_REPLICA_MAX_LAG_MS must be an integer/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it('refuses replicas without DATABASE_URL (the embedded server has none)', () => {
    expect(() => buildReplicasConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/bookapi' })).toThrow(
      /DATABASE_REPLICA_URLS is set but DATABASE_URL is not/,
    );
  });
});
