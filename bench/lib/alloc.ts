/**
 * Bytes a server allocates while some work runs, from V8's sampling heap profiler over the
 * inspector protocol (the server runs with `--inspect`). Objects the scavenger or the mark-compact
 * collected before the profile was read are counted too, so the figure is everything allocated,
 * not what survived. Each sample stands for `SAMPLING_INTERVAL` bytes on average: over a run of
 * thousands of requests that is a count, not a timing, and it does not move with the machine's load.
 */
import { request } from './net';

const SAMPLING_INTERVAL = 4096;

interface SamplingNode {
  selfSize: number;
  callFrame?: { functionName: string; url: string; lineNumber: number };
  children?: SamplingNode[];
}

/** Bytes by allocating function (`name file:line`, the path shortened to its package or dist/). */
export type AllocationSites = Map<string, number>;

export async function sampleAllocations<T>(
  inspectPort: number,
  work: () => Promise<T>,
): Promise<{ result: T; bytes: number; sites: AllocationSites }> {
  const targets = await request(`http://127.0.0.1:${inspectPort}/json/list`, { timeoutMs: 5000 });
  const [target] = JSON.parse(targets.body) as { webSocketDebuggerUrl: string }[];
  if (!target) throw new Error(`no inspector target on port ${inspectPort}`);
  const session = await InspectorSession.open(target.webSocketDebuggerUrl);
  try {
    await session.send('HeapProfiler.enable');
    await session.send('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const result = await work();
    const { profile } = (await session.send('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
    const sites = bySite(profile.head);
    return { result, bytes: [...sites.values()].reduce((sum, size) => sum + size, 0), sites };
  } finally {
    session.close();
  }
}

function bySite(root: SamplingNode): AllocationSites {
  const sites: AllocationSites = new Map();
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.selfSize) {
      const site = siteOf(node.callFrame);
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    }
    stack.push(...(node.children ?? []));
  }
  return sites;
}

function siteOf(frame: SamplingNode['callFrame']): string {
  if (!frame) return '(root)';
  const file = frame.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${frame.functionName || '(anonymous)'} ${file || '(native)'}:${frame.lineNumber + 1}`;
}

/** The `top` sites as lines of KB per request, largest first. */
export function formatSites(sites: AllocationSites, requests: number, top = 40): string {
  return [...sites]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([site, bytes]) => `${(bytes / requests / 1024).toFixed(2).padStart(7)} KB  ${site}`)
    .join('\n');
}

/** The few inspector calls above, over Node's built-in WebSocket client. */
class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id!);
      if (message.error) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
    });
    socket.addEventListener('close', () => {
      for (const waiting of this.pending.values()) waiting.reject(new Error('inspector connection closed'));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<InspectorSession> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new InspectorSession(socket)), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
        once: true,
      });
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}
