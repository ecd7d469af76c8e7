import { randomUUID } from 'node:crypto';
import { request } from './bench-support';

type Headers = Record<string, string>;

/** `users` funded users, each with a client key: the spenders of the hot-account load. */
export async function fundedSpenders(base: string, admin: Headers, users: number): Promise<Headers[]> {
  const keys: Headers[] = [];
  for (let i = 0; i < users; i++) {
    const user = `bench-${i}`;
    const key = await request(base, 'POST', '/v1/admin/keys', admin, { role: 'client', subject: user });
    keys.push({ authorization: `Bearer ${JSON.parse(key.body).key}` });
    const minted = await request(
      base,
      'POST',
      '/v1/credits/mint',
      { ...admin, 'idempotency-key': randomUUID() },
      { account_type: 'user', account_id: user, amount: '1000000' },
    );
    if (minted.status !== 201) throw new Error(`mint failed: ${minted.status} ${minted.body}`);
  }
  return keys;
}

/**
 * The hot-account load's one request: a user spends a micro, which credits the one platform
 * account every spend touches. `loop` and `i` pick the user, spreading users over the loops.
 */
export async function spendIntoHotAccount(
  base: string,
  spenders: Headers[],
  loop: number,
  i: number,
): Promise<boolean> {
  const user = (loop * 7919 + i) % spenders.length;
  const res = await request(
    base,
    'POST',
    '/v1/credits/spend',
    { ...spenders[user], 'idempotency-key': randomUUID() },
    { amount: '0.000001' },
  );
  return res.status === 201;
}
