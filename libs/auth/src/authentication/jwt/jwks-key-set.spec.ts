import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createJwksKeySet, JwksUnavailableError } from './jwks-key-set';

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256');
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
}

describe('createJwksKeySet (a JWKS file)', () => {
  let dir: string;
  let file: string;
  let a: JWK;
  let b: JWK;
  const write = (...keys: JWK[]) => writeFile(file, JSON.stringify({ keys }));
  const keyFor = async (keys: ReturnType<typeof createJwksKeySet>, kid: string) =>
    keys({ alg: 'ES256', kid }, { payload: '', signature: '', protected: '' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwks-spec-'));
    [a, b] = await Promise.all([publicJwk('a'), publicJwk('b')]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(() => (file = join(dir, `${expect.getState().currentTestName!.replace(/\W+/g, '-')}.json`)));

  it('reads a kid added to the file at its first use, unless it read within the cooldown', async () => {
    await write(a);
    const eager = createJwksKeySet({ source: { file }, cacheTtlMs: 60_000, cooldownMs: 0, timeoutMs: 1000 });
    const patient = createJwksKeySet({ source: { file }, cacheTtlMs: 60_000, cooldownMs: 60_000, timeoutMs: 1000 });
    await expect(keyFor(eager, 'a')).resolves.toBeDefined();
    await expect(keyFor(patient, 'a')).resolves.toBeDefined();
    await write(a, b);
    await expect(keyFor(eager, 'b')).resolves.toBeDefined();
    await expect(keyFor(patient, 'b')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('keeps a removed kid until the set is older than the TTL, then drops it', async () => {
    await write(a, b);
    const keys = createJwksKeySet({ source: { file }, cacheTtlMs: 300, cooldownMs: 0, timeoutMs: 1000 });
    await expect(keyFor(keys, 'a')).resolves.toBeDefined();
    await write(b);
    await expect(keyFor(keys, 'a')).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 350));
    await expect(keyFor(keys, 'a')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('after a failed read, reads nothing for the cooldown and says when to retry; never serves a stale set', async () => {
    const failures: JwksUnavailableError[] = [];
    const keys = createJwksKeySet({
      source: { file },
      cacheTtlMs: 200,
      cooldownMs: 5_000,
      timeoutMs: 1000,
      onReadFailure: (error) => failures.push(error),
    });
    await write(a);
    await expect(keyFor(keys, 'a')).resolves.toBeDefined();
    await writeFile(file, JSON.stringify({ keys: 'none' }));
    await new Promise((r) => setTimeout(r, 250));
    const first = await keyFor(keys, 'a').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(JwksUnavailableError);
    expect((first as JwksUnavailableError).retryAfterSeconds).toBe(5);
    await write(a); // fixed, but within the cooldown it is not read again
    const second = await keyFor(keys, 'a').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(JwksUnavailableError);
    expect((second as JwksUnavailableError).message).toMatch(/not retried yet/);
    expect(failures).toHaveLength(1);
  });

  it('reports a missing file and a file that is not JSON as unreadable', async () => {
    const keys = createJwksKeySet({ source: { file }, cacheTtlMs: 1000, cooldownMs: 0, timeoutMs: 1000 });
    await expect(keyFor(keys, 'a')).rejects.toThrow(/could not be read: .*ENOENT/);
    await writeFile(file, '{');
    await expect(keyFor(keys, 'a')).rejects.toThrow(/could not be read: not JSON/);
  });
});

describe('createJwksKeySet (a JWKS URL)', () => {
  it('counts a URL that answers late, or not 200, as unreadable', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/missing') res.writeHead(404).end('{}');
      // '/slow' never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A short timeout for the URL that never answers; a long one for the 404, which must not time out on a busy machine.
    const keySet = (path: string, timeoutMs: number) =>
      createJwksKeySet({ source: { url: `${base}${path}` }, cacheTtlMs: 1000, cooldownMs: 0, timeoutMs });
    const header = { alg: 'ES256', kid: 'a' };
    const token = { payload: '', signature: '', protected: '' };
    try {
      await expect(keySet('/slow', 200)(header, token)).rejects.toThrow(/could not be read: timed out/);
      await expect(keySet('/missing', 10_000)(header, token)).rejects.toThrow(/could not be read: HTTP 404/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
