import { OutboxEvent, outboxEventClass, outboxEventClasses, registerOutboxEvent } from './outbox-event';

class FirstLibView extends OutboxEvent<{ id: string }> {}
class SecondLibView extends OutboxEvent<{ id: string }> {}

describe('outbox event registry', () => {
  it('keeps every class registered for a type, once each, in order (each lib listens to its own)', () => {
    registerOutboxEvent('SpecThingHappened', FirstLibView);
    registerOutboxEvent('SpecThingHappened', SecondLibView);
    registerOutboxEvent('SpecThingHappened', FirstLibView);
    expect(outboxEventClasses('SpecThingHappened')).toEqual([FirstLibView, SecondLibView]);
    expect(outboxEventClass('SpecThingHappened')).toBe(FirstLibView);
    expect(outboxEventClasses('SpecNothing')).toEqual([]);
    expect(outboxEventClass('SpecNothing')).toBeUndefined();
  });
});
