import { bookInput } from '../factories/book.factory';

export interface LoadFigures {
  requests: number;
  writesAcknowledged: number;
  reads: number;
  /** No HTTP answer at all (connection refused, reset, timeout). */
  failed: number;
  status5xx: number;
  /** An answer other than the one the request should get (201 for a write, 200 for a read). */
  unexpected: number;
  problems: string[];
}

/**
 * A steady, bounded load: `workers` loops, each writing a book then reading it back (every
 * fourth read is a list page), until `stop()` is called or `maxRequests` have been sent.
 */
export class RollingLoad {
  readonly figures: LoadFigures = {
    requests: 0,
    writesAcknowledged: 0,
    reads: 0,
    failed: 0,
    status5xx: 0,
    unexpected: 0,
    problems: [],
  };
  readonly acknowledgedIds: string[] = [];
  private stopped = false;
  private readonly done: Promise<void[]>;

  constructor(
    private readonly baseUrl: string,
    readonly author: string,
    workers: number,
    private readonly maxRequests: number,
  ) {
    this.done = Promise.all(Array.from({ length: workers }, (_, w) => this.worker(w)));
  }

  async stop(): Promise<LoadFigures> {
    this.stopped = true;
    await this.done;
    return this.figures;
  }

  private get running(): boolean {
    return !this.stopped && this.figures.requests < this.maxRequests;
  }

  private async worker(w: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const created = await this.send('POST', '/books', 201, bookInput({ author: this.author, title: `w${w} #${i}` }));
      const id = (created as { id?: string } | undefined)?.id;
      if (id) {
        this.acknowledgedIds.push(id);
        this.figures.writesAcknowledged++;
      }
      if (!this.running) break;
      await this.send('GET', i % 4 === 3 || !id ? '/books?limit=10' : `/books/${id}`, 200);
      this.figures.reads++;
    }
  }

  private async send(method: string, path: string, expected: number, body?: object): Promise<unknown> {
    this.figures.requests++;
    try {
      const res = await fetch(this.baseUrl + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status >= 500) this.figures.status5xx++;
      if (res.status !== expected) {
        this.figures.unexpected++;
        this.note(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
        return undefined;
      }
      return JSON.parse(text) as unknown;
    } catch (error) {
      this.figures.failed++;
      this.note(`${method} ${path} -> ${(error as Error).message}`);
      return undefined;
    }
  }

  private note(problem: string): void {
    if (this.figures.problems.length < 20) this.figures.problems.push(problem);
  }
}
