import { WalHorizon } from './wal-horizon';

const MIB = 1024n * 1024n;

describe('WalHorizon', () => {
  it('admits any token before it has seen a position, since it cannot tell', () => {
    const horizon = new WalHorizon();
    expect(horizon.bound()).toBeUndefined();
    expect(horizon.admits((1n << 64n) - 1n)).toBe(true);
  });

  it('admits up to one WAL segment past the newest sample of a quiet primary, and refuses beyond', () => {
    const horizon = new WalHorizon();
    horizon.sample(100n * MIB);
    horizon.sample(100n * MIB);
    expect(horizon.admits(100n * MIB)).toBe(true);
    expect(horizon.admits(116n * MIB)).toBe(true);
    expect(horizon.admits(116n * MIB + 1n)).toBe(false);
    expect(horizon.admits((1n << 64n) - 1n)).toBe(false);
  });

  it('widens the slack to twice the most WAL written between two samples', () => {
    const horizon = new WalHorizon();
    horizon.sample(0n);
    horizon.sample(40n * MIB);
    horizon.sample(50n * MIB);
    expect(horizon.bound()).toBe(130n * MIB);
    expect(horizon.admits(130n * MIB)).toBe(true);
    expect(horizon.admits(130n * MIB + 1n)).toBe(false);
  });

  it('moves with commit positions it handed out, ahead of the monitor', () => {
    const horizon = new WalHorizon();
    horizon.sample(10n * MIB);
    horizon.see(500n * MIB);
    horizon.see(400n * MIB);
    expect(horizon.bound()).toBe(516n * MIB);
  });
});
