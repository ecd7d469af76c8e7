import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SealedBatch } from '@tally/receipts';
import { batchFileName } from '@tally/settlement';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const SECRET = 'a-webhook-secret-of-some-length';

/** A receiver that dedups by batch_no, as the sink's contract asks; 503 while `down`. */
class Receiver {
  down = true;
  attempts = 0;
  readonly received: SealedBatch[] = [];
  readonly badSignatures: number[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      this.attempts++;
      if (this.down) return res.writeHead(503).end();
      const body = Buffer.concat(chunks);
      const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const batch = JSON.parse(body.toString()) as SealedBatch;
      if (req.headers['x-tally-signature'] !== expected) this.badSignatures.push(batch.batch_no);
      expect(req.headers['x-tally-batch-no']).toBe(String(batch.batch_no));
      if (!this.received.some((b) => b.batch_no === batch.batch_no)) this.received.push(batch);
      res.writeHead(204).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('settlement sinks', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  let receiver: Receiver;
  let dir: string;
  beforeAll(async () => {
    receiver = new Receiver();
    const url = await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'tally-batches-'));
    t = await startTestApp({
      SETTLEMENT_ENABLED: 'true',
      SETTLEMENT_SEAL_CRON: '0 0 0 1 1 *', // yearly: the test seals on request
      SETTLEMENT_WEBHOOK_URL: url,
      SETTLEMENT_WEBHOOK_SECRET: SECRET,
      SETTLEMENT_FILE_DIR: dir,
      SETTLEMENT_RETRY_BASE_MS: '20',
      SETTLEMENT_RETRY_MAX_MS: '100',
    });
    ctx = new LedgerCtx(t);
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async () => (await t.http().get('/v1/settlement/status').set(ctx.admin()).expect(200)).body;

  it('webhook and directory (the pre-chain pair): the directory is the emergency sink while the webhook is down; the webhook gets every batch in order, once', async () => {
    const sealed: SealedBatch[] = [];
    for (let i = 0; i < 4; i++) {
      await ctx.mint('user', ctx.name(), String(i + 1));
      sealed.push((await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201)).body.batch);
    }
    // Retried while down, and nothing delivered.
    await until(() => receiver.attempts >= 6);
    expect(receiver.received).toEqual([]);
    const down = await status();
    const webhook = down.sinks.find((s: { name: string }) => s.name === 'webhook');
    expect(webhook).toMatchObject({
      tier: 'primary',
      configured: true,
      pending: 4,
      next_batch_no: 1,
      last_error: 'webhook answered 503',
    });
    expect(webhook.attempts).toBeGreaterThanOrEqual(2);
    // Three failures in a row (the default) with no secondary: the directory takes what the webhook lacks.
    await until(() => readdirSync(dir).filter((f) => f.endsWith('.json')).length === 4);
    const fallback = (await t.http().get('/v1/settlement/fallback/status').set(ctx.admin()).expect(200)).body;
    expect(fallback).toMatchObject({ state: 'emergency', active_sink: 'file', pending_reconcile_count: 4 });

    receiver.down = false;
    await until(() => receiver.received.length === 4);
    expect(receiver.received.map((b) => b.batch_no)).toEqual([1, 2, 3, 4]);
    expect(receiver.received).toEqual(sealed);
    expect(receiver.badSignatures).toEqual([]);
    await until(async () => (await status()).pending_count === 0);

    // One more batch after the outage goes straight to the webhook, and only there.
    await ctx.mint('user', ctx.name(), '9');
    await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    await until(() => receiver.received.length === 5);
    expect(receiver.received.map((b) => b.batch_no)).toEqual([1, 2, 3, 4, 5]);

    await until(async () => (await status()).pending_count === 0);
    const up = await status();
    expect(up.sinks.map((s: { name: string }) => s.name)).toEqual(['file', 'webhook']);
    expect(up.sinks[0]).toMatchObject({ tier: 'emergency', last_delivered_batch_no: 4 });
    expect(up.sinks[1]).toMatchObject({ pending: 0, failed: 0, last_delivered_batch_no: 5, last_error: null });
    expect((await t.http().get('/v1/settlement/fallback/status').set(ctx.admin()).expect(200)).body.state).toBe(
      'healthy',
    );

    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual([1, 2, 3, 4].map(batchFileName));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, batchFileName(2)), 'utf8'))).toEqual(sealed[1]);
    const report = (await t.http().get('/v1/settlement/fallback/consistency').set(ctx.admin()).expect(200)).body;
    expect(report).toMatchObject({ is_consistent: true, items_verified: 9, inconsistencies_found: 0 });
  });
});
