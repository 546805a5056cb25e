import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PgCluster } from '../helpers/pg-cluster';

/**
 * The private cluster helper cleans up after a setup that fails: a standby whose pg_basebackup
 * cannot reach its primary leaves no folder (and no server) behind in the temp folder.
 */
describe('PgCluster: a setup that fails leaves nothing behind', () => {
  let primary: PgCluster | undefined;

  afterAll(async () => {
    await primary?.destroy();
  });

  it('a standby of a stopped primary fails in pg_basebackup, and its folder is gone', async () => {
    primary = await PgCluster.create('cleanup-primary');
    await primary.stop();
    const label = `cleanup-standby-${randomBytes(4).toString('hex')}`;
    await expect(primary.createStandby(label)).rejects.toThrow(/pg_basebackup .* failed/);
    expect(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`bookapi-${label}-pg-`))).toEqual([]);
  });
});
