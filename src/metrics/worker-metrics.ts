import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: API calls take ms (cached reads) to seconds (large exports, attachments). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface GaugeEntry {
  gauge: Gauge<string>;
  sources: { labels: Record<string, string>; source: GaugeSource }[];
}

/** A gauge's value read at scrape time; undefined = not known in this process (left out). */
export type GaugeSource = () => number | undefined | Promise<number | undefined>;

/**
 * One worker's Prometheus metrics (docs/operations.md#metrics). The master asks every worker for
 * them over cluster IPC and sums them (src/metrics/metrics-server.ts): counters and histograms add
 * up across workers; each gauge declares how its per-worker values combine (`aggregator`).
 * A registry per worker, not prom-client's global one, so several test apps in one process stay apart.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'role' | 'method_id' | 'status'>;
  readonly latency: Histogram<'role' | 'method_id'>;
  readonly httpErrors: Counter<'role' | 'method_id' | 'error_id'>;
  readonly calls: Counter<'method_id' | 'status' | 'transport'>;
  readonly callErrors: Counter<'method_id' | 'error_id' | 'transport'>;
  readonly auditLines: Counter<'outcome'>;

  constructor(readonly role: string, options: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'homecore_http_requests_total',
      help: 'HTTP requests answered, by method id (or route) and status.',
      labelNames: ['role', 'method_id', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'homecore_http_request_duration_seconds',
      help: 'Time from request to the end of the answer, by method id (or route).',
      labelNames: ['role', 'method_id'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.httpErrors = new Counter({
      name: 'homecore_http_errors_total',
      help: 'HTTP answers carrying an API error, by method id and error id.',
      labelNames: ['role', 'method_id', 'error_id'],
      registers,
    });
    this.calls = new Counter({
      name: 'homecore_api_calls_total',
      help: 'API method calls (HTTP, each call of a batch, Socket.IO), by method id, status and transport.',
      labelNames: ['method_id', 'status', 'transport'],
      registers,
    });
    this.callErrors = new Counter({
      name: 'homecore_api_errors_total',
      help: 'API method calls that ended in an error, by method id, error id and transport.',
      labelNames: ['method_id', 'error_id', 'transport'],
      registers,
    });
    this.auditLines = new Counter({
      name: 'homecore_audit_lines_total',
      help: 'Audit lines by outcome: buffered, written (in the file before the answer), durable (on disk before the answer) or lost.',
      labelNames: ['outcome'],
      registers,
    });
    this.gauge('homecore_worker_up', 'Workers answering the scrape (summed: the number of live workers per role).', 'sum', () => 1);
    // Event-loop lag (nodejs_eventloop_lag_*), heap, GC, handles; the master averages or sums them.
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry, labels: { role } });
  }

  /**
   * A gauge read at scrape time. `aggregator`: how the master combines workers' values (`sum` for
   * sizes and queue depths, `min` for health where one bad worker counts, `max` for ages).
   */
  gauge(name: string, help: string, aggregator: 'sum' | 'min' | 'max' | 'average', source: GaugeSource, labels: Record<string, string> = {}): void {
    let entry = this.gauges.get(name);
    if (entry === undefined) {
      const sources: GaugeEntry['sources'] = [];
      const g = new Gauge({
        name,
        help,
        labelNames: ['role', ...Object.keys(labels)],
        aggregator,
        registers: [this.registry],
        // prom-client calls collect() before each read of the registry.
        collect: async () => {
          g.reset();
          for (const s of sources) {
            const v = await Promise.resolve()
              .then(s.source)
              .catch(() => undefined);
            if (v !== undefined && Number.isFinite(v)) g.set(s.labels, v);
          }
        },
      });
      entry = { gauge: g, sources };
      this.gauges.set(name, entry);
    }
    entry.sources.push({ labels: { role: this.role, ...labels }, source });
  }

  private readonly gauges = new Map<string, GaugeEntry>();

  /** What an error answer's body names, or null. */
  static errorIdOf(payload: unknown): string | null {
    if (typeof payload !== 'string' || !payload.startsWith('{"error":')) return null;
    const m = /^\{"error":\{"id":"([\w.-]{1,64})"/.exec(payload);
    return m?.[1] ?? null;
  }
}
