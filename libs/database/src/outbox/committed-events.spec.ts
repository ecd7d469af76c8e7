import { CommittedEvents, OutboxRecord } from './committed-events';

const record = (id: string): OutboxRecord => ({ event_id: id, event_type: 'T', payload: {}, redeliveries: 0 });

describe('CommittedEvents', () => {
  it("hands a transaction's rows to observers and runs its callbacks only when it commits", () => {
    const events = new CommittedEvents();
    const observed: string[] = [];
    const ran: string[] = [];
    events.observe((records) => observed.push(...records.map((r) => r.event_id)));
    const [committed, rolledBack] = [{}, {}];
    for (const [tx, name] of [
      [committed, 'a'],
      [rolledBack, 'b'],
    ] as const) {
      events.add(tx, [record(name)]);
      events.onCommit(tx, () => ran.push(name));
    }
    expect([observed, ran]).toEqual([[], []]);
    events.discard(rolledBack);
    events.committed(committed);
    events.committed(committed); // a second commit signal publishes nothing again
    expect([observed, ran]).toEqual([['a'], ['a']]);
    events.publish([record('c')]); // written outside a transaction: at once
    expect(observed).toEqual(['a', 'c']);
  });
});
