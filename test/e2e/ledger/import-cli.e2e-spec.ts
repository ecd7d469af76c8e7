import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../../support/cli';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { listening } from '../../support/sse-client';
import { startTestApp, type TestApp } from '../../support/test-app';

/** `npm run cli -- import` against the real server, listening on a local port. */
describe('import (CLI)', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
    url = `http://127.0.0.1:${await listening(t)}`;
    dir = mkdtempSync(join(tmpdir(), 'tally-import-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ TALLY_URL: url, TALLY_ADMIN_KEY: t.adminKey });
  const user = (id: string) => ({ account_type: 'user', account_id: id });
  const mint = (to: string, amount: string, extra: object = {}) => ({
    id: randomUUID(),
    kind: 'mint',
    ...user(to),
    amount,
    ...extra,
  });
  const transfer = (from: string, to: string, amount: string, extra: object = {}) => ({
    id: randomUUID(),
    kind: 'transfer',
    from: user(from),
    to: user(to),
    amount,
    ...extra,
  });
  const file = (name: string, lines: (object | string)[]) => {
    const path = join(dir, name);
    writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    return path;
  };
  const jsonLines = (path: string) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const transfersOf = async (ids: string[]): Promise<number> => {
    const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    return row.n;
  };

  it('a file of mixed items: rejections with their lines and codes, a summary, exit 1; a re-run replays', async () => {
    const [alice, bob] = [ctx.name('alice'), ctx.name('bob')];
    const first = mint(alice, '100');
    const third = transfer(alice, bob, '30');
    const lines: (object | string)[] = [
      first, // 1 ok
      mint(bob, '5'), // 2 ok
      third, // 3 ok
      transfer(bob, alice, '1000'), // 4 DSE-008
      'not json', // 5 DSE-001, malformed
      '', // 6 blank: skipped
      transfer(alice, bob, '10', { linked: true }), // 7 fails with its chain: linked_event_failed
      transfer(bob, alice, '999'), // 8 DSE-008
      mint(bob, 'abc'), // 9 DSE-001, invalid
      { ...first, amount: '101' }, // 10 the id of line 1, another body: DSE-009
      transfer(alice, bob, '5', { linked: true }), // 11 ok, a chain that holds
      transfer(bob, alice, '1'), // 12 ok
      transfer(alice, bob, '1', { linked: true }), // 13 a chain open at the end of the file
    ];
    const path = file('mixed.jsonl', lines);
    const id = (n: number) => (lines[n - 1] as { id: string }).id;
    // Batches of 4 items: lines 1-4, then 7-10 (line 10 meets line 1 in another request), then 11-13.
    const res = await runCli(env(), 'import', path, '--batch-size', '4');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('posted: 5\n');
    expect(res.stdout).toContain('replayed: 0\n');
    expect(res.stdout).toContain(
      `rejected: 7 (DSE-001: 3, DSE-008: 2, DSE-009: 1, DSE-010: 1), listed in ${path}.rejections.jsonl`,
    );
    const rejection = (line: number, code: string, reason: unknown, withId = true) => ({
      line,
      id: withId ? id(line) : null,
      code,
      reason,
      detail: expect.any(String),
    });
    const expected = [
      rejection(4, 'DSE-008', expect.any(String)),
      rejection(5, 'DSE-001', 'malformed', false),
      rejection(7, 'DSE-010', 'linked_event_failed'),
      rejection(8, 'DSE-008', expect.any(String)),
      rejection(9, 'DSE-001', expect.any(String)),
      rejection(10, 'DSE-009', expect.any(String)),
      rejection(13, 'DSE-001', 'linked_event_chain_open'),
    ];
    expect(jsonLines(`${path}.rejections.jsonl`)).toEqual(expected);
    expect(await ctx.balance('user', alice)).toMatchObject({ posted: '66' });
    expect(await ctx.balance('user', bob)).toMatchObject({ posted: '39' });
    const ok = [1, 2, 3, 11, 12].map(id);
    expect(await transfersOf(lines.flatMap((l) => (typeof l === 'object' ? [(l as { id: string }).id] : [])))).toBe(5);

    // The same file again: every item it posted is a replay, nothing is written twice.
    const again = await runCli(env(), 'import', path, '--batch-size', '4');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('posted: 0\n');
    expect(again.stdout).toContain('replayed: 5\n');
    expect(jsonLines(`${path}.rejections.jsonl`)).toEqual(expected);
    expect(await transfersOf(ok)).toBe(5);
    expect(await ctx.balance('user', alice)).toMatchObject({ posted: '66' });
  });

  it('malformed lines are rejections with their line numbers, not a crash; a line the server refuses whole fails alone', async () => {
    const who = ctx.name('m');
    const good = [mint(who, '1'), mint(who, '2'), mint(who, '3'), mint(who, '4')];
    const duplicateKey = `{"id":"${randomUUID()}","kind":"mint","account_type":"user","account_id":"${who}","amount":"1","amount":"2"}`;
    const path = file('malformed.jsonl', [
      good[0], // 1
      '{', // 2
      '[1, 2]', // 3
      '"a string"', // 4
      good[1], // 5
      duplicateKey, // 6: the API's body parser refuses the whole request for it
      good[2], // 7
      '{"id": "x", "kind":', // 8
      good[3], // 9
    ]);
    const res = await runCli(env(), 'import', path);
    expect(res.code).toBe(1);
    const rejections = jsonLines(`${path}.rejections.jsonl`);
    expect(rejections.map((r) => [r.line, r.code, r.reason])).toEqual([
      [2, 'DSE-001', 'malformed'],
      [3, 'DSE-001', 'malformed'],
      [4, 'DSE-001', 'malformed'],
      [6, 'DSE-001', 'request_refused'],
      [8, 'DSE-001', 'malformed'],
    ]);
    expect(rejections[3].detail).toMatch(/twice/);
    // Its neighbours in the same batch were posted: the batch was split down to the line at fault.
    expect(res.stdout).toContain('posted: 4\n');
    expect(await ctx.balance('user', who)).toMatchObject({ posted: '10' });
  });

  it('killed after its first batch, then resumed: every item posted exactly once', async () => {
    const users = Array.from({ length: 50 }, () => ctx.name('k'));
    const items = [
      ...users.map((u) => mint(u, '100')),
      ...Array.from({ length: 2950 }, (_, i) => transfer(users[i % 50], users[(i * 7 + 3) % 50], `0.${(i % 90) + 10}`)),
    ].filter((item) => !('from' in item) || item.from.account_id !== item.to.account_id);
    // The balances the file leaves, item by item (no item can fail: no account sends more than 60 × 1).
    const model = new Map(users.map((u) => [u, 0n]));
    for (const item of items) {
      const micros = microsOf(item.amount);
      if ('from' in item) {
        model.set(item.from.account_id, model.get(item.from.account_id)! - micros);
        model.set(item.to.account_id, model.get(item.to.account_id)! + micros);
      } else model.set(item.account_id, model.get(item.account_id)! + micros);
    }
    const path = file('killed.jsonl', items);
    const progress = `${path}.progress`;
    const line = () =>
      existsSync(progress) ? (JSON.parse(readFileSync(progress, 'utf8')) as { line: number }).line : 0;

    const run = spawnCli(env(), 'import', path, '--batch-size', '100');
    while (line() === 0 && run.proc.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    run.proc.kill('SIGKILL');
    await run.exited;
    const done = line();
    // It was killed mid-way: some batches recorded, not all.
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(items.length);

    const resumed = await runCli(env(), 'import', path, '--batch-size', '100', '--resume');
    expect(resumed.code).toBe(0);
    // Off a terminal, progress is a line every 10 batches; nothing was retried or refused.
    expect(resumed.stderr).toMatch(/^(importing: \d+\/\d+ lines, \d+ items\/s, ETA \d+ s\n)*$/);
    expect(resumed.stdout).toContain(`resumed after line ${done}`);
    const posted = Number(/posted: (\d+)/.exec(resumed.stdout)![1]);
    const replayed = Number(/replayed: (\d+)/.exec(resumed.stdout)![1]);
    // Batches posted by the killed run but not recorded are sent again and answered as replays.
    expect(posted + replayed).toBe(items.length);
    expect(replayed).toBeLessThanOrEqual(items.length - done);
    expect(resumed.stdout).toContain('rejected: 0\n');
    expect(await transfersOf(items.map((i) => i.id))).toBe(items.length);
    const rows: { owner_id: string; posted: string }[] = await t.dataSource.query(
      `SELECT owner_id, (posted_credits - posted_debits)::text AS posted FROM accounts WHERE kind = 'user' AND owner_id = ANY($1)`,
      [users],
    );
    expect(new Map(rows.map((r) => [r.owner_id, BigInt(r.posted)]))).toEqual(model);

    // A resume of a finished import sends nothing; a plain re-run replays every item.
    const finished = await runCli(env(), 'import', path, '--resume');
    expect(finished).toMatchObject({ code: 0, stdout: expect.stringContaining('0 items sent') });
    const rerun = await runCli(env(), 'import', path);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain(`posted: 0\nreplayed: ${items.length}\n`);
    expect(await transfersOf(items.map((i) => i.id))).toBe(items.length);
  }, 180_000);

  it('retries a 503 with Retry-After and a lost answer with the same batch: each item posts once', async () => {
    const who = ctx.name('r');
    const items = Array.from({ length: 30 }, () => mint(who, '1'));
    const path = file('retried.jsonl', items);
    // In front of the server: the first request gets 503 Retry-After: 1; the second reaches
    // the server, which posts it, and its answer is lost (the connection is cut).
    let requests = 0;
    const proxy: Server = createServer((req, res) => {
      requests++;
      if (requests === 1) {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/problem+json' });
        return res.end(JSON.stringify({ code: 'DSE-014', detail: 'restarting' }));
      }
      const upstream = httpRequest(`${url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        if (requests === 2) {
          answer.resume();
          answer.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const res = await runCli({ TALLY_ADMIN_KEY: t.adminKey }, 'import', path, '--url', proxied, '--batch-size', '10');
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(/retrying a batch in 1\.0 s: HTTP 503 DSE-014: restarting/);
      expect(res.stderr).toMatch(/retrying a batch in [\d.]+ s: cannot reach the server/);
      // The lost answer's batch was posted once; sent again, it came back as replays.
      expect(res.stdout).toContain('posted: 20\nreplayed: 10\n');
      expect(await transfersOf(items.map((i) => i.id))).toBe(30);
      expect(await ctx.balance('user', who)).toMatchObject({ posted: '30' });
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('stops with exit 1 and says how to go on when the key is refused', async () => {
    const path = file('refused.jsonl', [mint(ctx.name('x'), '1')]);
    const res = await runCli({ TALLY_URL: url }, 'import', path, '--key', 'tly_not_a_key');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/import stopped after line 0: HTTP 401 DSE-002/);
    expect(res.stderr).toContain('--resume');
  });
});
