import type { OutboxProbe } from './outbox-feed';

/** Probes kept while a long transaction holds the horizon back (dropping one only delays). */
const MAX_PROBES = 1000;

/**
 * How far a follower of the outbox may read: each `settle()` probes the outbox once
 * (OutboxFeed.probe) and answers the highest probed id whose writers have all finished
 * since, so every id up to it is committed or rolled back for good (undefined until the
 * first such probe). Readers that follow the outbox in id order (live streams, the webhook
 * follower) read only up to it and so never skip a row that commits late. Any table whose
 * ids are drawn at insert is followed the same way (probeInsertOrder): the control log's chainer.
 */
export class OutboxHorizon {
  private probes: { maxId: bigint; writers: string[] }[] = [];

  constructor(private readonly feed: { probe(): Promise<OutboxProbe> }) {}

  async settle(): Promise<bigint | undefined> {
    const probe = await this.feed.probe();
    const now = new Set(probe.writers);
    const maxId = BigInt(probe.maxId);
    const last = this.probes[this.probes.length - 1];
    if (!last || maxId > last.maxId) this.probes.push({ maxId, writers: probe.writers });
    if (this.probes.length > MAX_PROBES) this.probes.splice(0, this.probes.length - MAX_PROBES);
    let settled: bigint | undefined;
    for (const p of this.probes) if (p.writers.every((w) => !now.has(w))) settled = p.maxId;
    if (settled !== undefined) this.probes = this.probes.filter((p) => p.maxId > settled);
    return settled;
  }

  /** Forgets past probes (a reader that stopped following starts again from a fresh probe). */
  reset(): void {
    this.probes = [];
  }
}
