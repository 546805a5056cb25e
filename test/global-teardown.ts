import * as fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__BOOKAPI_TEST_PG__;
  if (!state) return;
  await state.server.stop();
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
