import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { PublicEvent } from '@tally/database';
import { freePort } from './free-port';

/** The shared broker the tests publish to (each test file on a stream and subject prefix of its own). */
export const SHARED_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A stream name and subject prefix no other test file uses. */
export function brokerEnv(url = SHARED_NATS_URL): {
  EVENTS_NATS_URL: string;
  EVENTS_STREAM: string;
  EVENTS_SUBJECT_PREFIX: string;
} {
  const tag = randomBytes(6).toString('hex');
  return { EVENTS_NATS_URL: url, EVENTS_STREAM: `TEST_${tag}`, EVENTS_SUBJECT_PREFIX: `t${tag}` };
}

export interface BrokerMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  event: PublicEvent;
}

/** Every message of `stream`, in stream order. */
export async function readStream(url: string, stream: string): Promise<BrokerMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: BrokerMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (!m) continue;
      out.push({ seq, subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), event: m.json<PublicEvent>() });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Removes a test's stream (a missing one is fine). */
export async function deleteStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** A JetStream server of the test's own (its own port and store), to stop and start at will. */
export class OwnNatsServer {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnNatsServer> {
    const server = await OwnNatsServer.reserve();
    await server.resume();
    return server;
  }

  /** A port and a store for a server not started yet (`resume` starts it). */
  static async reserve(): Promise<OwnNatsServer> {
    return new OwnNatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'tally-nats-')));
  }

  /** Starts the server on its port and store (what it stored before is still there). */
  async resume(): Promise<void> {
    const bin = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
    this.child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url, timeout: 500 });
        await jetstreamManager(nc);
        await nc.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (SIGKILL: an outage, not a goodbye). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
