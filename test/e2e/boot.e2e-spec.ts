import { startTestApp, TestApp } from '../support/test-app';

describe('boot', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers unknown routes with a DSE-001 problem', async () => {
    const res = await t.http().get('/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'DSE-001', status: 404 });
    expect(res.headers['x-protocol-version']).toBe('1');
  });
});
