/**
 * Bytes allocated and µs per call of the app's validation pipe alone, against Nest's
 * ValidationPipe with the same options and no plan (class-validator on every call), for the
 * three DTOs the requests validate (docs/decisions/0003-validation-plan.md):
 *
 *   npx ts-node -T bench/repro/validation-alloc.ts   # CALLS=N for a quick try
 *
 * Each pipe and DTO in turn, 5 rounds of CALLS (default 50,000) well-formed values after one to
 * warm the JIT up; the medians. Bytes are what the heap grew by, GCs included (v8.GCProfiler).
 */
import 'reflect-metadata';
import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { getHeapStatistics, GCProfiler } from 'node:v8';
import { createValidationPipe } from '../../src/common/validation';
import { CreateBookDto } from '../../src/books/dto/create-book.dto';
import { ListBooksQueryDto } from '../../src/books/dto/list-books-query.dto';
import { UpdateBookDto } from '../../src/books/dto/update-book.dto';

const CALLS = Number(process.env.CALLS ?? 50_000);

const cases: { name: string; metadata: ArgumentMetadata; value: () => Record<string, unknown> }[] = [
  {
    name: 'CreateBookDto (POST body)',
    metadata: { type: 'body', metatype: CreateBookDto },
    value: () => ({ title: 'The Silent Harbor', author: 'Ada Abara', isbn: '9780262033848', publishedYear: 2009 }),
  },
  {
    name: 'UpdateBookDto (PATCH body)',
    metadata: { type: 'body', metatype: UpdateBookDto },
    value: () => ({ title: 'The Silent Harbor, Book 2' }),
  },
  {
    name: 'ListBooksQueryDto (?limit=20)',
    metadata: { type: 'query', metatype: ListBooksQueryDto },
    value: () => ({ limit: '20' }),
  },
];

const pipes: Record<string, ValidationPipe> = {
  'class-validator': new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
  }),
  plan: createValidationPipe(),
};

/** Bytes the heap grew by over `work`, adding back what each GC freed. */
async function measure(work: () => Promise<void>): Promise<{ bytes: number; us: number }> {
  const profiler = new GCProfiler();
  const startUsed = getHeapStatistics().used_heap_size;
  profiler.start();
  const start = process.hrtime.bigint();
  await work();
  const us = Number(process.hrtime.bigint() - start) / 1e3;
  const endUsed = getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  const freed = statistics.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return { bytes: endUsed - startUsed + freed, us };
}

async function main(): Promise<void> {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const { name, metadata, value } of cases) {
    const results: Record<string, { kb: number[]; us: number[] }> = {};
    for (let round = 0; round < 6; round++) {
      for (const [pipeName, pipe] of Object.entries(pipes)) {
        const { bytes, us } = await measure(async () => {
          for (let i = 0; i < CALLS; i++) await pipe.transform(value(), metadata);
        });
        // The first round warms the JIT up.
        if (round === 0) continue;
        results[pipeName] ??= { kb: [], us: [] };
        results[pipeName].kb.push(bytes / CALLS / 1024);
        results[pipeName].us.push(us / CALLS);
      }
    }
    const cells = Object.entries(results).map(
      ([pipeName, r]) => `${pipeName} ${median(r.kb).toFixed(1)} KB ${median(r.us).toFixed(2)} µs`,
    );
    console.log(`${name}\t${cells.join('\t')}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
