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
 * allocates nothing but its entry. This was a Set and a Map that each gained and lost an entry
 * per request, and those rebuild their hash tables every few requests. With them, a GET by id
 * promoted ~800 bytes to the old generation (the requests' own objects among them) and ran 8–9
 * mark-compacts per 10 s under load; with this list, 25 bytes and one (bench/FINDINGS.md, ninth
 * session).
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
