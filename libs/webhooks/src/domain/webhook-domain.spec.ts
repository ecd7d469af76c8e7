import { LEDGER_EVENT_TYPES, retriesExhausted, retryDelayMs, verifyWebhookSignature, webhookSignature } from '.';
import { LEDGER_EVENT_OF_KIND } from '@tally/ledger';

describe('webhook rules', () => {
  it('signs "t.body" and verifies only the same body, secret and a recent t', () => {
    const header = webhookSignature('s3cret', 1_000, '{"a":1}');
    expect(header).toMatch(/^t=1000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', header, '{"a":1}', 1_010)).toBe(true);
    expect(verifyWebhookSignature('s3cret', header, '{"a":2}', 1_010)).toBe(false);
    expect(verifyWebhookSignature('other', header, '{"a":1}', 1_010)).toBe(false);
    expect(verifyWebhookSignature('s3cret', header, '{"a":1}', 2_000)).toBe(false);
    expect(verifyWebhookSignature('s3cret', undefined, '{"a":1}', 1_000)).toBe(false);
  });

  it('backs off exponentially with jitter, capped at an hour, and gives up after the window', () => {
    expect(retryDelayMs(1, 1000, 0.999)).toBe(999);
    expect(retryDelayMs(4, 1000, 0.999)).toBe(7992);
    expect(retryDelayMs(4, 1000, 0)).toBe(500);
    expect(retryDelayMs(40, 1000, 0.999)).toBe(3_596_400);
    expect(retriesExhausted(new Date(0), new Date(86_399_999))).toBe(false);
    expect(retriesExhausted(new Date(0), new Date(86_400_000))).toBe(true);
  });

  it('names every event type the ledger announces a transfer with', () => {
    expect([...LEDGER_EVENT_TYPES].sort()).toEqual([...new Set(Object.values(LEDGER_EVENT_OF_KIND))].sort());
  });
});
