import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const APIKEY_JS = path.resolve(__dirname, '../../dist/cli/apikey.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/cli/apikey.js ARGS` as a process, with exactly `env` plus PATH/HOME, from a folder with no .env. */
export function runApiKeyCli(args: string[], env: Record<string, string>, cwd = os.tmpdir()): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [APIKEY_JS, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The key `create` printed: the last line of stdout. */
export function printedKey(run: CliRun): string {
  const lines = run.stdout.trimEnd().split('\n');
  return lines[lines.length - 1];
}
