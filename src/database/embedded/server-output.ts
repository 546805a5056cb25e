import type { ChildProcess } from 'node:child_process';
import { DatabaseStartupError } from '../database.exception';

const READY_LINE = 'database system is ready to accept connections';
/** Crash recovery after an immediate stop can take a while on a large cluster. */
const READY_TIMEOUT_MS = 120_000;

/**
 * Resolves once the server logs that it accepts connections. Every line goes to `debug`; if the
 * server exits first, the rejection carries the line that says why (and a hint for a taken port).
 */
export function waitUntilReady(child: ChildProcess, port: number, debug: (line: string) => void): Promise<void> {
  const recent: string[] = [];
  return new Promise<void>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill('SIGQUIT');
      reject(new DatabaseStartupError(`Embedded PostgreSQL did not become ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      if (!line.trim()) return;
      debug(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (!ready && line.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    forEachLine(child.stdout!, onLine);
    forEachLine(child.stderr!, onLine);
    child.once('error', (error) =>
      reject(new DatabaseStartupError(`Embedded PostgreSQL could not be spawned: ${error.message}`)),
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (ready) return;
      const cause = recent.filter((l) => /FATAL|ERROR|could not/.test(l)).pop() ?? recent.pop() ?? 'no output';
      const hint = /address already in use/i.test(cause) ? ` (EMBEDDED_PG_PORT=${port} is taken; choose another)` : '';
      reject(
        new DatabaseStartupError(
          `Embedded PostgreSQL exited during startup (code ${code ?? signal}): ${cause.replace(/^.*?(FATAL|ERROR):\s*/, '')}${hint}`,
        ),
      );
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => buffered && onLine(buffered));
}
