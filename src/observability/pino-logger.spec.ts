import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { lazyChildLogger } from './pino-logger';

/** A pino logger writing its lines into an array. */
function capture(level = 'info'): { logger: FastifyBaseLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('lazyChildLogger (the per-request logger)', () => {
  it('makes no child until the first line', () => {
    const { logger } = capture();
    const child = jest.spyOn(logger, 'child');
    const lazy = lazyChildLogger(logger, { requestId: 'r-1' }, {});
    expect(child).not.toHaveBeenCalled();
    expect(lazy.level).toBe('info');
    lazy.info('first');
    lazy.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
  });

  it('writes each level with the request id binding, and its own child bindings', async () => {
    const { logger, lines } = capture('trace');
    const lazy = lazyChildLogger(logger, { requestId: 'r-2' }, {});
    lazy.error({ code: 'E1' }, 'broke');
    lazy.trace('detail');
    lazy.child({ part: 'x' }).info('nested');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, requestId: 'r-2', code: 'E1', msg: 'broke' }),
      expect.objectContaining({ level: 10, requestId: 'r-2', msg: 'detail' }),
      expect.objectContaining({ level: 30, requestId: 'r-2', part: 'x', msg: 'nested' }),
    ]);
  });

  it('honours a route log level given to the child, and a level set on it later', async () => {
    const { logger, lines } = capture('info');
    const lazy = lazyChildLogger(logger, { requestId: 'r-3' }, { level: 'error' });
    expect(lazy.level).toBe('error');
    lazy.warn('dropped');
    lazy.level = 'debug';
    lazy.debug('kept');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line.msg)).toEqual(['kept']);
    expect(logger.level).toBe('info');
  });
});
