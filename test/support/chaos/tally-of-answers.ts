import type { Answer, NoAnswer } from './http';

/**
 * Every answer a fault test's clients saw, counted by status (and DSE code) within the
 * window the test names ("load", "outage 1", …), plus the answers no fault excuses: a 5xx
 * other than 503, a 503 without Retry-After or DSE-014, an answer its caller did not expect.
 */
export class AnswerTally {
  window = 'load';
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly violations = new Map<string, { count: number; sample: string }>();

  /** Counts an answer (or its absence); a 5xx is checked against the outage contract. */
  add(a: Answer | NoAnswer, what: string): void {
    if ('error' in a) return this.count('no answer');
    const code = typeof a.body === 'object' && a.body ? (a.body.code as string | undefined) : undefined;
    this.count(code && a.status >= 400 ? `${a.status} ${code}` : String(a.status));
    if (a.status === 503) {
      const missing = [
        a.retryAfter === null && 'no Retry-After',
        code !== 'DSE-014' && `code ${code ?? 'none'} (not DSE-014)`,
        !a.contentType?.startsWith('application/problem+json') && `content-type ${a.contentType}`,
      ].filter(Boolean);
      if (missing.length > 0) this.violation(`${what}: 503 with ${missing.join(', ')}`, JSON.stringify(a.body));
    } else if (a.status >= 500) {
      this.violation(`${what}: ${a.status} ${code ?? ''}`.trim(), JSON.stringify(a.body));
    }
  }

  violation(signature: string, sample: string): void {
    const v = this.violations.get(signature);
    if (v) v.count++;
    else this.violations.set(signature, { count: 1, sample: sample.slice(0, 600) });
  }

  /** `signature ×count: sample`, one per distinct kind of violation. */
  violationList(): string[] {
    return [...this.violations].map(([signature, v]) => `${signature} ×${v.count}: ${v.sample}`);
  }

  /** Answers of one window by status, e.g. { "201": 900, "503 DSE-014": 40, "no answer": 12 }. */
  statuses(window = this.window): Record<string, number> {
    return Object.fromEntries([...(this.counts.get(window) ?? [])].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Answers (not counting requests that got none) in a window. */
  answeredIn(window: string): number {
    return [...(this.counts.get(window) ?? [])].filter(([s]) => s !== 'no answer').reduce((n, [, c]) => n + c, 0);
  }

  windows(): string[] {
    return [...this.counts.keys()];
  }

  private count(label: string): void {
    let byStatus = this.counts.get(this.window);
    if (!byStatus) this.counts.set(this.window, (byStatus = new Map()));
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }
}
