import { fromMicros, isTallyError, TallyClient, type components } from '../../../packages/sdk/src/index';

export type Schemas = components['schemas'];
export { TallyClient };

/** The admin key lives in this tab's session storage only: gone when the tab closes. */
const KEY_ITEM = 'tally.dashboard.admin-key';

export const storedKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

export function clientFor(key: string): TallyClient {
  // Reads are retried once at most: a person looking at the page would rather see the error.
  return new TallyClient({ baseUrl: location.origin, apiKey: key, retry: { retries: 1 } });
}

/** Checks that the key is an admin's, and keeps it for this tab; throws a sentence a person reads. */
export async function signIn(key: string): Promise<TallyClient> {
  const trimmed = key.trim();
  if (!trimmed) throw new Error('Enter an admin key.');
  const client = clientFor(trimmed);
  let role: string;
  try {
    role = (await client.api.GET('/v1/auth/whoami')).data!.role;
  } catch (error) {
    if (isTallyError(error) && error.status === 401) {
      throw new Error('This key was refused: it is not a valid key.', { cause: error });
    }
    throw new Error(describeError(error), { cause: error });
  }
  if (role !== 'admin') throw new Error(`This is a ${role} key: the dashboard needs an admin key.`);
  sessionStorage.setItem(KEY_ITEM, trimmed);
  return client;
}

/** An error as one sentence: the API's problem title and detail, or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (isTallyError(error)) {
    if (error.status === 401) return 'The admin key was refused. Sign in again.';
    if (error.status === 403) return 'This key may not see this: the dashboard needs an admin key.';
    if (error.status === 404) return `Not found${error.detail ? `: ${error.detail}` : '.'}`;
    return `${error.title}${error.detail ? `: ${error.detail}` : ''} (${error.code ?? error.status})`;
  }
  if (error instanceof TypeError) return 'The service could not be reached. Is it running?';
  return error instanceof Error ? error.message : String(error);
}

/** Micros (an int64 decimal string) as credits, exact, with thousands grouped. */
export function credits(micros: string | null | undefined): string {
  if (micros === null || micros === undefined || micros === '') return '—';
  return groupThousands(fromMicros(BigInt(micros)));
}

/** A credits decimal string (as balances and transfers carry), grouped. */
export function creditsText(amount: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  return groupThousands(amount);
}

function groupThousands(decimal: string): string {
  const [whole, fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
