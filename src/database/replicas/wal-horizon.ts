import type { Lsn } from './lsn';

/** One WAL segment: the least slack, so a quiet primary never refuses another instance's fresh token. */
const MIN_SLACK: Lsn = 16n * 1024n * 1024n;

/**
 * How far the primary's WAL can have reached, by what this service has seen: the monitor's
 * samples and the commit positions it handed out as consistency tokens. Another instance's token
 * may be ahead of both by what the primary wrote since the last sample, so the bound adds twice
 * the most WAL seen between two samples (one monitor interval), and at least one segment. A token
 * past the bound was never a commit position: it would only send every read to the primary.
 */
export class WalHorizon {
  private newest?: Lsn;
  private lastSample?: Lsn;
  private largestStep: Lsn = 0n;

  /** A monitor sample of pg_current_wal_lsn(). */
  sample(lsn: Lsn): void {
    if (this.lastSample !== undefined && lsn - this.lastSample > this.largestStep) {
      this.largestStep = lsn - this.lastSample;
    }
    this.lastSample = lsn;
    this.see(lsn);
  }

  /** A commit position, seen before the client that gets it as a token can present it. */
  see(lsn: Lsn): void {
    if (this.newest === undefined || lsn > this.newest) this.newest = lsn;
  }

  /** Undefined until a first position is seen: no bound can be told yet. */
  bound(): Lsn | undefined {
    if (this.newest === undefined) return undefined;
    const slack = 2n * this.largestStep;
    return this.newest + (slack > MIN_SLACK ? slack : MIN_SLACK);
  }

  admits(token: Lsn): boolean {
    const bound = this.bound();
    return bound === undefined || token <= bound;
  }
}
