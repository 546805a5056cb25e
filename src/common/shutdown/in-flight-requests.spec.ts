import fc from 'fast-check';
import type { Socket } from 'node:net';
import { InFlightEntry, InFlightRequests } from './in-flight-requests';

const socket = (name: string) => ({ name }) as unknown as Socket;

describe('InFlightRequests', () => {
  it('counts, unlinks any entry once, and lists the sockets still receiving', () => {
    const requests = new InFlightRequests();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => requests.add(socket(name)));
    expect(requests.size).toBe(3);
    b.receiving = false;
    expect(requests.receivingSockets()).toEqual([c.socket, a.socket]);
    requests.remove(b);
    requests.remove(b);
    expect(requests.size).toBe(2);
    requests.remove(c);
    requests.remove(a);
    expect(requests.size).toBe(0);
    expect(requests.receivingSockets()).toEqual([]);
  });

  it('agrees with a Set under any order of adds and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(20), fc.boolean()), { maxLength: 200 }), (steps) => {
        const requests = new InFlightRequests();
        const model = new Map<InFlightEntry, Socket>();
        const entries: InFlightEntry[] = [];
        for (const [add, pick, stillReceiving] of steps) {
          if (add || entries.length === 0) {
            const entry = requests.add(socket(`s${entries.length}`));
            entry.receiving = stillReceiving;
            entries.push(entry);
            model.set(entry, entry.socket);
          } else {
            const entry = entries[pick % entries.length];
            requests.remove(entry);
            model.delete(entry);
          }
          expect(requests.size).toBe(model.size);
        }
        const receiving = [...model.keys()].filter((entry) => entry.receiving).map((entry) => entry.socket);
        expect(new Set(requests.receivingSockets())).toEqual(new Set(receiving));
        expect(requests.receivingSockets()).toHaveLength(receiving.length);
      }),
    );
  });
});
