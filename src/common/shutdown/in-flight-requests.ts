import type { Socket } from 'node:net';

/** One admitted request, linked into InFlightRequests until it is answered or its client goes. */
export interface InFlightEntry {
  readonly socket: Socket;
  /** Its body is still arriving: nothing has run for it yet. */
  receiving: boolean;
  prev: InFlightEntry | undefined;
  next: InFlightEntry | undefined;
  linked: boolean;
}

/**
 * The requests admitted and not yet answered, as a doubly linked list: adding or removing one
 * allocates nothing but its entry. A long-lived Set or Map that gains and loses an entry per
 * request makes every request's objects outlive the young generation, and so costs full
 * collections (docs/decisions/0002-in-flight-list.md).
 */
export class InFlightRequests {
  private head: InFlightEntry | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(socket: Socket): InFlightEntry {
    const entry: InFlightEntry = { socket, receiving: true, prev: undefined, next: this.head, linked: true };
    if (this.head) this.head.prev = entry;
    this.head = entry;
    this.count++;
    return entry;
  }

  /** Unlinks the entry; a second call for the same entry does nothing. */
  remove(entry: InFlightEntry): void {
    if (!entry.linked) return;
    entry.linked = false;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    entry.prev = entry.next = undefined;
    this.count--;
  }

  /** Sockets of the requests whose body is still arriving. */
  receivingSockets(): Socket[] {
    const sockets: Socket[] = [];
    for (let entry = this.head; entry; entry = entry.next) if (entry.receiving) sockets.push(entry.socket);
    return sockets;
  }
}
