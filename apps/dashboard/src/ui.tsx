import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { describeError, type TallyClient } from './api';

export const ClientContext = createContext<TallyClient | null>(null);

export function useClient(): TallyClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('no signed-in client');
  return client;
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load(client)` when `key` changes and whenever reload() is called; a reload keeps the
 * figures on screen until the new ones arrive, so live updates do not flicker.
 */
export function useApi<T>(load: (client: TallyClient) => Promise<T>, key: unknown[] = []): Loaded<T> {
  const client = useClient();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(client).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState((s) => ({ data: s.data, error: describeError(error), loading: false })),
    );
    return () => {
      current = false;
    };
    // `key` lists what the load depends on.
  }, [client, tick, ...key]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** Renders the data once loaded; otherwise says in words that it is loading or what failed. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (loaded.data !== undefined) {
    return (
      <>
        {loaded.error && (
          <p className="error">
            Could not refresh {what}: {loaded.error}
          </p>
        )}
        {children(loaded.data)}
      </>
    );
  }
  if (loaded.error) {
    return (
      <p className="error" role="alert">
        Could not load {what}: {loaded.error}
      </p>
    );
  }
  return <p className="muted">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}

export function Stat({ label, value, id, hint }: { label: string; value: ReactNode; id?: string; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={id}>
        {value}
      </div>
      {hint && <div className="stat-hint">{hint}</div>}
    </div>
  );
}

/** A line chart over time (x in seconds since the epoch), sized to its container. */
export function TimeChart({
  xs,
  series,
  height = 220,
  label,
}: {
  xs: number[];
  series: { label: string; values: (number | null)[]; color: string }[];
  height?: number;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height,
        series: [
          {},
          ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: xs.length < 40 } })),
        ],
        axes: [{}, { size: 70 }],
        legend: { show: series.length > 1 },
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [xs, series, height]);
  return <div className="chart" ref={box} role="img" aria-label={label} />;
}

/** A small line with no axes: the shape of a series at a glance. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || values.length < 2) return;
    const plot = new uPlot(
      {
        width: 120,
        height: 32,
        cursor: { show: false },
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: '#2563eb', width: 1.5, points: { show: false } }],
      },
      [values.map((_, i) => i), values],
      el,
    );
    return () => plot.destroy();
  }, [values]);
  if (values.length < 2) {
    return <span className="muted">{values.length === 1 ? 'scored once so far' : 'not scored yet'}</span>;
  }
  return <div className="sparkline" ref={box} role="img" aria-label={label} />;
}

/** Cursor paging: the cursors of the pages walked so far (the first page has none). */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    /** The cursor of the page shown. */
    cursor: cursors[cursors.length - 1],
    /** Back to the first page (when the filters change). */
    restart: () => setCursors([undefined]),
    back: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
    forward: (next: string | null | undefined) => (next ? () => setCursors([...cursors, next]) : undefined),
  };
}

/** The buttons to the page before and after; a newest-first list calls them Newer and Older. */
export function Pager({
  pages,
  next,
  newestFirst = false,
}: {
  pages: ReturnType<typeof useCursorPages>;
  next: string | null | undefined;
  newestFirst?: boolean;
}) {
  const forward = pages.forward(next);
  return (
    <div className="pager">
      {pages.back && <button onClick={pages.back}>{newestFirst ? 'Newer' : 'Previous'}</button>}
      {forward && <button onClick={forward}>{newestFirst ? 'Older' : 'Next'}</button>}
    </div>
  );
}
