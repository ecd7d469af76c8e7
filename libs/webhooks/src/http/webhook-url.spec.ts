import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAddressHost, checkWebhookUrl, PrivateAddressError, publicOnlyLookup } from './webhook-url';

describe('webhook URLs', () => {
  it.each([
    'http://127.0.0.1/x',
    'http://10.1.2.3/x',
    'http://192.168.1.1/x',
    'http://[::1]/x',
    'http://169.254.169.254/x',
    'http://localhost/x',
  ])('refuses %s by default, and takes it when private addresses are allowed', async (url) => {
    await expect(checkWebhookUrl(url, false)).rejects.toMatchObject({ code: 'DSE-001' });
    await expect(checkWebhookUrl(url, true)).resolves.toBe(new URL(url).toString());
  });

  it('takes a public address, and refuses other schemes and credentials', async () => {
    await expect(checkWebhookUrl('https://93.184.216.34/hook', false)).resolves.toBe('https://93.184.216.34/hook');
    await expect(checkWebhookUrl('ftp://93.184.216.34/x', false)).rejects.toMatchObject({ code: 'DSE-001' });
    await expect(checkWebhookUrl('https://u:p@93.184.216.34/x', true)).rejects.toMatchObject({ code: 'DSE-001' });
  });
});

describe('the check at each send (DNS rebinding)', () => {
  const resolve = (allowPrivate: boolean, host: string, all: boolean) =>
    new Promise<unknown>((ok, fail) =>
      publicOnlyLookup(allowPrivate)(host, { all }, (error, address) => (error ? fail(error) : ok(address))),
    );

  it('refuses a host that resolves to a private address, unless private addresses are allowed', async () => {
    for (const all of [true, false]) {
      await expect(resolve(false, 'localhost', all)).rejects.toThrow(PrivateAddressError);
      await expect(resolve(false, 'localhost', all)).rejects.toThrow(/localhost resolves to .*a private address/);
    }
    await expect(resolve(true, 'localhost', true)).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })]),
    );
    await expect(resolve(true, 'localhost', false)).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('checks a host written as an address directly (no lookup is made for it)', () => {
    expect(() => checkAddressHost('127.0.0.1', false)).toThrow(PrivateAddressError);
    expect(() => checkAddressHost('[::1]', false)).toThrow(PrivateAddressError);
    expect(() => checkAddressHost('10.0.0.7', false)).toThrow('10.0.0.7 is a private address: refused');
    expect(() => checkAddressHost('93.184.216.34', false)).not.toThrow();
    expect(() => checkAddressHost('127.0.0.1', true)).not.toThrow();
    expect(() => checkAddressHost('localhost', false)).not.toThrow(); // a name: its lookup decides
  });

  it('a request through the lookup never reaches a private receiver', async () => {
    let reached = 0;
    const server = createServer((_req, res) => {
      reached++;
      res.end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as AddressInfo;
    const post = (allowPrivate: boolean) =>
      new Promise<number>((ok, fail) => {
        const req = request(
          `http://localhost:${port}/hook`,
          { method: 'POST', lookup: publicOnlyLookup(allowPrivate), family: 4, agent: false },
          (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          },
        );
        req.on('error', fail);
        req.end('{}');
      });
    try {
      await expect(post(false)).rejects.toThrow(PrivateAddressError);
      expect(reached).toBe(0);
      await expect(post(true)).resolves.toBe(200);
      expect(reached).toBe(1);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
