import { pruneSamples, replicaLagMs, type PrimarySample } from './replica-lag';

describe('replicaLagMs', () => {
  const samples: PrimarySample[] = [
    { at: 1000, lsn: 100n },
    { at: 1250, lsn: 200n },
    { at: 1500, lsn: 300n },
  ];

  it('is 0 for a replica that replayed what the primary had at the latest sample', () => {
    expect(replicaLagMs(samples, 300n, 1600)).toBe(0);
    expect(replicaLagMs(samples, 350n, 1600)).toBe(0);
  });

  it('counts from the oldest moment the primary had WAL the replica has not replayed', () => {
    // Replayed 150: the primary had 200 at 1250, so the replica is at least 350 ms behind at 1600.
    expect(replicaLagMs(samples, 150n, 1600)).toBe(350);
    expect(replicaLagMs(samples, 50n, 1600)).toBe(600);
  });

  it('stays 0 on an idle primary however old its last write is', () => {
    const idle = [
      { at: 1000, lsn: 500n },
      { at: 90_000, lsn: 500n },
    ];
    expect(replicaLagMs(idle, 500n, 90_100)).toBe(0);
  });

  it('knows nothing before the first sample', () => {
    expect(replicaLagMs([], 1n, 1000)).toBeUndefined();
  });

  it('prunes old samples but always keeps the newest', () => {
    const kept = [...samples];
    pruneSamples(kept, 300, 1600);
    expect(kept.map((s) => s.at)).toEqual([1500]);
    const single = [{ at: 0, lsn: 1n }];
    pruneSamples(single, 10, 10_000);
    expect(single).toHaveLength(1);
  });
});
