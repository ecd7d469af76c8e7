import { checkWebhookUrl } from './webhook-url';

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
