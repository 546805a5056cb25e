/**
 * A long-lived Set that gains and loses an entry per request makes each request's objects outlive
 * the young generation; a linked list does not (docs/decisions/0002-in-flight-list.md).
 *
 *   for m in set list none; do
 *     node --max-semi-space-size=8 --trace-gc-nvp bench/repro/set-churn.ts $m 2>&1 |
 *       awk '/gc=s/{match($0,/promoted=[0-9]+/); p+=substr($0,RSTART+9,RLENGTH-9)} /requests/{n=$2}
 *            END {printf "%.0f bytes promoted per request\n", p/n}'
 *   done
 *
 * Node 24 runs this TypeScript file as it is; what it printed, and on which Node, is in that record.
 */
const mode = process.argv[2] ?? 'set';
interface Request {
  headers: string[];
  body: number[];
}
interface Entry {
  req: Request;
  prev: Entry | undefined;
  next: Entry | undefined;
}

const inFlight = new Set<Request>();
const list: { head: Entry | undefined } = { head: undefined };
const total = 2_000_000;
let done = 0;

function request(): void {
  const req: Request = {
    headers: Array.from({ length: 20 }, (_, i) => `h${i}${Math.random()}`),
    body: Array.from({ length: 50 }, Math.random),
  };
  let entry: Entry | undefined;
  if (mode === 'set') inFlight.add(req);
  if (mode === 'list') {
    entry = { req, prev: undefined, next: list.head };
    if (list.head) list.head.prev = entry;
    list.head = entry;
  }
  setImmediate(() => {
    if (mode === 'set') inFlight.delete(req);
    if (entry) {
      if (entry.prev) entry.prev.next = entry.next;
      else list.head = entry.next;
      if (entry.next) entry.next.prev = entry.prev;
      entry.prev = entry.next = undefined;
    }
    done++;
  });
}

function pump(): void {
  for (let i = 0; i < 10; i++) request();
  if (done < total) setImmediate(pump);
  else console.error('requests', done);
}
pump();
