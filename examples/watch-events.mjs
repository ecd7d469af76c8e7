// Watches Tally's events on the broker: a durable JetStream consumer on the TALLY_EVENTS stream,
// printing each event's subject, type and data, and acking it once handled (unacked, it comes back).
//
//   EVENTS_NATS_URL=nats://127.0.0.1:4222 node examples/watch-events.mjs 'tally.job.>'
//
// The argument filters by subject (default: every event). EVENTS_STREAM names the stream;
// TALLY_WATCH_NAME makes the consumer durable under that name (it resumes where it stopped).
/* global process, console */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const stream = process.env.EVENTS_STREAM ?? 'TALLY_EVENTS';
const filter = process.argv[2] ?? '>';
const nc = await connect({ servers: (process.env.EVENTS_NATS_URL ?? 'nats://127.0.0.1:4222').split(',') });
const jsm = await jetstreamManager(nc);
const name = process.env.TALLY_WATCH_NAME ?? `watch-${process.pid}`;
await jsm.consumers.add(stream, {
  durable_name: name,
  filter_subject: filter,
  ack_policy: AckPolicy.Explicit,
  inactive_threshold: process.env.TALLY_WATCH_NAME ? undefined : 60_000_000_000,
});
const consumer = await jetstream(nc).consumers.get(stream, name);
const seen = new Set(); // at least once: skip an event_id already handled (a real consumer keeps this durable)
for await (const m of await consumer.consume()) {
  const event = m.json(); // { event_id, type, sequence, occurred_at, subject, data }
  if (!seen.has(m.headers?.get('Nats-Msg-Id') ?? event.event_id)) {
    console.log(m.subject, event.type, event.sequence, JSON.stringify(event.data));
    seen.add(m.headers?.get('Nats-Msg-Id') ?? event.event_id);
  }
  m.ack();
}
