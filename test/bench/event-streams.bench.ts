/**
 * Event streams benchmark: the built app against a fresh Postgres database, with
 * BENCH_STREAMS (default 1,000) Server-Sent Event streams open on GET /v1/events/stream,
 * spread over BENCH_STREAM_CLIENTS client keys (default 100). Prints the server's memory
 * (resident and heap, from /metrics) before the streams, with them open and idle, and
 * after they close; checks that heartbeats reach every idle stream; then credits each
 * client once and checks that every stream of that client, and no other, receives that
 * event, with the delivery latency (credit answered → event read) p50/p99.
 * Usage: npm run bench:streams   (BENCH_STREAMS, BENCH_STREAM_CLIENTS, DATABASE_URL optional)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { freshDatabase, percentile, request, startServer } from './bench-support';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const CLIENTS = Number(process.env.BENCH_STREAM_CLIENTS ?? 100);
const HEARTBEAT_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface OpenStream {
  client: string;
  events: { type: string; data: { data: { legs?: { account_id: string }[] } }; at: number }[];
  pings: number;
  close: () => void;
}

/** Opens one stream; resolves once its headers and first comment arrived. */
function openStream(base: string, key: string, client: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const stream: OpenStream = { client, events: [], pings: 0, close: () => undefined };
    const req = http.request(
      `${base}/v1/events/stream`,
      { agent: false, headers: { Authorization: `Bearer ${key}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (block === ': ping') stream.pings++;
            else if (block === ': connected') resolve(stream);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) stream.events.push({ type, data: JSON.parse(data), at: performance.now() });
          }
        });
      },
    );
    req.on('error', reject);
    stream.close = () => req.destroy();
    req.end();
  });
}

/** The server's resident set and V8 heap in use, in MiB (from its Prometheus metrics). */
async function serverMemory(base: string): Promise<{ rss: number; heap: number }> {
  const text = (await request(base, 'GET', '/metrics', {})).body;
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { rss: metric('process_resident_memory_bytes'), heap: metric('nodejs_heap_size_used_bytes') };
}

const mib = (m: { rss: number; heap: number }) => `rss ${m.rss.toFixed(1)} MiB, heap used ${m.heap.toFixed(1)} MiB`;

async function main(): Promise<void> {
  const db = await freshDatabase('tally_bench_streams');
  const adminKey = `tly_admin_${randomBytes(16).toString('hex')}`;
  const server = await startServer({
    DATABASE_URL: db.url,
    TALLY_ADMIN_KEY: adminKey,
    SCHEDULER_ENABLED: 'false',
    GRPC_ENABLED: 'false',
    SSE_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
  });
  const admin = { Authorization: `Bearer ${adminKey}` };
  const streams: OpenStream[] = [];
  let failed = false;
  try {
    const clients: { name: string; key: string }[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const name = `bench-client-${i}`;
      const res = await request(server.base, 'POST', '/v1/admin/keys', admin, { role: 'client', subject: name });
      if (res.status !== 201) throw new Error(`key: ${res.status} ${res.body}`);
      clients.push({ name, key: JSON.parse(res.body).key });
    }
    await sleep(1000);
    const before = await serverMemory(server.base);
    console.log(`server before the streams: ${mib(before)}`);

    const opened = performance.now();
    for (let i = 0; i < STREAMS; i += 100) {
      const batch = Array.from({ length: Math.min(100, STREAMS - i) }, (_, j) => clients[(i + j) % CLIENTS]);
      streams.push(...(await Promise.all(batch.map((c) => openStream(server.base, c.key, c.name)))));
    }
    console.log(`${streams.length} streams open in ${((performance.now() - opened) / 1000).toFixed(1)} s`);
    await sleep((HEARTBEAT_SECONDS * 2 + 1) * 1000);
    const idle = await serverMemory(server.base);
    console.log(`server with ${streams.length} idle streams: ${mib(idle)}`);
    console.log(
      `  per stream: ${(((idle.rss - before.rss) * 1024) / streams.length).toFixed(1)} KiB resident, ` +
        `${(((idle.heap - before.heap) * 1024) / streams.length).toFixed(1)} KiB heap`,
    );
    const fewestPings = Math.min(...streams.map((s) => s.pings));
    console.log(`heartbeats: every stream got at least ${fewestPings} in ${HEARTBEAT_SECONDS * 2 + 1} s idle`);
    if (fewestPings < 2) failed = true;

    // One credit per client: each of its streams, and no other, gets that event.
    const credited = new Map<string, number>();
    await Promise.all(
      clients.map(async (c) => {
        const res = await request(
          server.base,
          'POST',
          '/v1/credits/mint',
          { ...admin, 'Idempotency-Key': randomUUID() },
          { account_type: 'user', account_id: c.name, amount: '1' },
        );
        if (res.status !== 201) throw new Error(`mint: ${res.status} ${res.body}`);
        credited.set(c.name, performance.now());
      }),
    );
    const deadline = Date.now() + 30_000;
    while (streams.some((s) => s.events.length < 1) && Date.now() < deadline) await sleep(50);
    const latencies = streams.flatMap((s) => s.events.map((e) => e.at - credited.get(s.client)!));
    const wrong = streams.filter(
      (s) =>
        s.events.length !== 1 ||
        s.events[0].type !== 'TransferPosted' ||
        !(s.events[0].data.data.legs ?? []).some((l) => l.account_id === s.client),
    );
    console.log(
      `events: ${streams.length - wrong.length}/${streams.length} streams got exactly their client's credit; ` +
        `latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
    );
    if (wrong.length > 0) failed = true;

    for (const s of streams.splice(0)) s.close();
    await sleep(2000);
    console.log(`server after the streams closed: ${mib(await serverMemory(server.base))}`);
  } finally {
    for (const s of streams) s.close();
    await server.stop();
    await db.drop();
  }
  if (failed) {
    console.error('FAILED: a stream missed a heartbeat or an event, or got another client’s');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
