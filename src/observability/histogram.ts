import type { MetricValueWithName, Registry } from 'prom-client';

/** One label set's buckets: observing is a bound search and three increments, with no allocation. */
export class HistogramChild {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

/** Label value → the next label's map, or, under the last label, the child. */
type ChildTree = Map<string, ChildTree | HistogramChild>;

/**
 * A Prometheus histogram for the per-request paths, registered in a prom-client Registry and
 * exposed exactly as prom-client's own Histogram exposes it (`_bucket` with cumulative `le`,
 * `_sum`, `_count`). Callers look up a child once per label set and keep it: prom-client's
 * `Histogram.observe` rebuilds and validates the label object and hashes it on every call, where
 * this allocates nothing (docs/decisions/0004-metrics-histogram.md). Label values are the caller's:
 * use bounded ones.
 */
export class FastHistogram<L extends string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly tree: ChildTree = new Map();
  private readonly children: HistogramChild[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /**
   * The child for these label values, in labelNames order; created on first use. Found through
   * one Map per label (no key string is built per call).
   */
  child(...values: string[]): HistogramChild {
    let level: ChildTree = this.tree;
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]) as ChildTree | undefined;
      if (!next) level.set(values[i], (next = new Map()));
      level = next;
    }
    const last = values[values.length - 1];
    let child = level.get(last) as HistogramChild | undefined;
    if (!child) {
      child = new HistogramChild(this.bounds, Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]])));
      level.set(last, child);
      this.children.push(child);
    }
    return child;
  }

  /** What prom-client's Registry renders (the shape of its Histogram.get()). */
  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: MetricValueWithName<string>[];
    aggregator: 'sum';
  }> {
    const values: MetricValueWithName<string>[] = [];
    for (const child of this.children) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += child.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...child.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...child.labels }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...child.labels }, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...child.labels }, value: child.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.tree.clear();
    this.children.length = 0;
  }
}
