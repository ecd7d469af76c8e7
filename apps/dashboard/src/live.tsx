import { useEffect, useRef, useState } from 'react';
import type { TallyEvent } from '../../../packages/sdk/src/index';
import { useClient } from './ui';

const POLL_MS = 5_000;
/** Many events in a burst (a lifecycle is a dozen) make one refresh, not a dozen. */
const SETTLE_MS = 500;

export type LiveMode = 'connecting' | 'live' | 'polling';

/**
 * Calls `refresh` when an event that `matters` arrives on the event stream (GET
 * /v1/events/stream); if the stream is refused or unavailable, every few seconds instead.
 */
export function useLive(refresh: () => void, matters: (event: TallyEvent) => boolean = () => true): LiveMode {
  const client = useClient();
  const [mode, setMode] = useState<LiveMode>('connecting');
  const latest = useRef({ refresh, matters });
  latest.current = { refresh, matters };
  useEffect(() => {
    const stop = new AbortController();
    let pending: ReturnType<typeof setTimeout> | undefined;
    let poller: ReturnType<typeof setInterval> | undefined;
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        latest.current.refresh();
      }, SETTLE_MS);
    };
    (async () => {
      try {
        const events = client.events({ signal: stop.signal });
        setMode('live');
        for await (const event of events) if (latest.current.matters(event)) soon();
      } catch {
        if (stop.signal.aborted) return;
        setMode('polling');
        poller = setInterval(() => latest.current.refresh(), POLL_MS);
      }
    })();
    return () => {
      stop.abort();
      clearTimeout(pending);
      clearInterval(poller);
    };
  }, [client]);
  return mode;
}

export function LiveNote({ mode }: { mode: LiveMode }) {
  const text =
    mode === 'live'
      ? 'Updates live from the event stream.'
      : mode === 'polling'
        ? `The event stream is unavailable: refreshing every ${POLL_MS / 1000} s.`
        : 'Connecting to the event stream…';
  return (
    <p className="muted live" data-testid="live-mode" data-mode={mode}>
      {text}
    </p>
  );
}
