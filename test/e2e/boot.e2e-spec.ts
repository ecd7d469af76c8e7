import { ApplicationConfig } from '@nestjs/core';
import { startTestApp, TestApp } from '../support/test-app';

describe('boot', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers unknown routes with a DSE-015 problem', async () => {
    const res = await t.http().get('/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'DSE-015', status: 404 });
    expect(res.headers['x-protocol-version']).toBe('1');
  });

  it('puts requests through no global interceptor and one global guard (the API key guard)', () => {
    // A global interceptor, even one that does nothing, costs every request Nest's RxJS chain.
    const config = t.app.get(ApplicationConfig);
    expect(config.getGlobalInterceptors()).toEqual([]);
    expect(config.getGlobalRequestInterceptors()).toEqual([]);
    // The API key guard is the one global guard (Nest holds APP_GUARD providers as instances once started).
    expect(config.getGlobalGuards().map((g) => g.constructor.name)).toEqual(['ApiKeyGuard']);
    expect(config.getGlobalRequestGuards()).toEqual([]);
  });
});
