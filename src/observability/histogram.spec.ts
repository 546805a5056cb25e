import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from './histogram';

const BOUNDS = [0.005, 0.01, 0.1, 1];
const LABELS = ['method', 'route'] as const;

/** The same observations through prom-client's Histogram and through FastHistogram. */
async function render(observations: [string, string, number][]) {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new FastHistogram('op_seconds', 'Operation time.', LABELS, BOUNDS, ours);
  const reference = new Histogram({
    name: 'op_seconds',
    help: 'Operation time.',
    labelNames: LABELS,
    buckets: BOUNDS,
    registers: [theirs],
  });
  for (const [method, route, value] of observations) {
    fast.child(method, route).observe(value);
    reference.labels(method, route).observe(value);
  }
  return { ours: await ours.metrics(), theirs: await theirs.metrics(), fast };
}

describe('FastHistogram', () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const { ours, theirs } = await render([
      ['GET', '/books/:id', 0.002],
      ['GET', '/books/:id', 0.005], // on a bound: counted in that bucket (le is inclusive)
      ['GET', '/books/:id', 0.05],
      ['GET', '/books/:id', 7], // above every bound: only in +Inf
      ['POST', '/books', 0.0101],
      ['GET', 'un"quoted\\route\n', 0.3], // label values are escaped
    ]);
    expect(ours).toBe(theirs);
    expect(ours).toContain('op_seconds_bucket{le="+Inf",method="GET",route="/books/:id"} 4');
    expect(ours).toContain('op_seconds_bucket{le="0.005",method="GET",route="/books/:id"} 2');
  });

  it('renders an empty histogram as prom-client does, and reuses one child per label set', async () => {
    const { ours, theirs, fast } = await render([]);
    expect(ours).toBe(theirs);
    expect(fast.child('GET', '/a')).toBe(fast.child('GET', '/a'));
    expect(fast.child('GET', '/a')).not.toBe(fast.child('GET', '/b'));
  });

  it('is emptied by the registry reset, as prom-client metrics are', async () => {
    const { fast } = await render([['GET', '/a', 0.2]]);
    const registry = new Registry();
    registry.registerMetric(fast as never);
    expect(await registry.metrics()).toContain('op_seconds_count{method="GET",route="/a"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('route="/a"');
    fast.child('GET', '/a').observe(0.2);
    expect(await registry.metrics()).toContain('op_seconds_count{method="GET",route="/a"} 1');
  });
});
