import {
  isExternalOutboxEvent,
  OutboxEvent,
  outboxEventClass,
  outboxEventClasses,
  outboxPublishedAtSql,
  registerExternalOutboxEvent,
  registerOutboxEvent,
} from './outbox-event';

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

  it('an external type has no in-process class, and is written published; any other type waits for the relay', () => {
    registerExternalOutboxEvent("SpecIt's Elsewhere");
    registerExternalOutboxEvent("SpecIt's Elsewhere");
    expect(isExternalOutboxEvent("SpecIt's Elsewhere")).toBe(true);
    expect(isExternalOutboxEvent('SpecThingHappened')).toBe(false);
    expect(isExternalOutboxEvent('SpecNeverHeardOf')).toBe(false);
    expect(() => registerOutboxEvent("SpecIt's Elsewhere", FirstLibView)).toThrow(/external/);
    registerOutboxEvent('SpecHandledHere', FirstLibView);
    expect(() => registerExternalOutboxEvent('SpecHandledHere')).toThrow(/in-process classes/);
    expect(isExternalOutboxEvent('SpecHandledHere')).toBe(false);
    // The quote is doubled: the type is a SQL literal.
    expect(outboxPublishedAtSql('u.ty')).toContain(`'SpecIt''s Elsewhere'`);
    expect(outboxPublishedAtSql('u.ty')).toMatch(/^CASE WHEN u\.ty IN \(.*\) THEN now\(\) END$/);
  });
});
