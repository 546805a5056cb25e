import type { Lsn } from './lsn';

/** The primary's WAL position at one moment, as the monitor saw it. */
export interface PrimarySample {
  at: number;
  lsn: Lsn;
}

/**
 * How far behind the primary a replica is, in milliseconds: how long ago the primary had
 * already written WAL the replica has not replayed yet (the oldest sample past `replay`).
 * 0 when it has replayed everything the primary had at the latest sample. Measured on the
 * primary's clock through the monitor's own samples, so an idle primary (no new WAL) never
 * makes a caught-up replica look stale, which `now() - pg_last_xact_replay_timestamp()` does.
 * Undefined when there is no sample yet. Accurate to about one check interval.
 */
export function replicaLagMs(samples: readonly PrimarySample[], replay: Lsn, now: number): number | undefined {
  if (samples.length === 0) return undefined;
  const oldestAhead = samples.find((sample) => sample.lsn > replay);
  return oldestAhead ? Math.max(0, now - oldestAhead.at) : 0;
}

/** Drops samples no lag decision needs any more, keeping the newest one. */
export function pruneSamples(samples: PrimarySample[], keepMs: number, now: number): void {
  while (samples.length > 1 && samples[0].at < now - keepMs) samples.shift();
}
