import cluster from 'node:cluster';

/**
 * WEB_CONCURRENCY > 1: this process only forks `count` workers, each running the whole
 * service on the same port (the cluster module shares the listening socket; this process
 * hands connections out in turn). Each worker is a replica like any other: its own pool,
 * and background work (sweeps, relays, chaining) already shared safely between replicas.
 *
 * SIGTERM or SIGINT here is passed to every worker, which shuts down gracefully; this process
 * exits once they all have, with the worst of their exit codes. A worker that dies on its own
 * (a crash, a failed start) stops the rest and this process exits 1: the supervisor restarts
 * the whole service rather than this process hiding a crash loop.
 */
export function runWorkers(count: number, graceMs: number): void {
  let alive = count;
  let stopping = false;
  let exitCode = 0;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // The workers cut off their own requests after the grace period; this is the backstop.
    setTimeout(() => process.exit(1), graceMs + 5_000).unref();
  };
  cluster.on('exit', (worker, code, signal) => {
    alive--;
    exitCode = Math.max(exitCode, code ?? 1);
    if (!stopping) {
      console.error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}): stopping the others`);
      exitCode = 1;
      stop();
    }
    if (alive === 0) process.exit(exitCode);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
  for (let i = 0; i < count; i++) cluster.fork();
}
