import type { ServicePrice } from './cost';
import type { components } from '../../../packages/sdk/src/generated/schema';

/** A refusal from the API: its status and problem+json body (code is the DSE code). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code?: string; detail?: string; title?: string } | undefined,
  ) {
    super(`HTTP ${status}${body?.code ? ` ${body.code}` : ''}: ${body?.detail ?? body?.title ?? 'no detail'}`);
  }

  /** Worth trying again: the server or something on the way failed, or asked us to wait. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

// The API's own shapes, from the OpenAPI document the SDK is generated from.
type Schemas = components['schemas'];
export type Capabilities = Schemas['CapabilitiesDto'];
export type Registration = Schemas['RegisterProverRequestDto'];
/** A job as a poll starts and returns it (its payload: any JSON value, or base64 text). */
export type JobToRun = Omit<Schemas['JobToRunResponseDto'], 'payload'> & { payload: unknown };

export type ResultReport =
  { success: true; final_cost_micros: string; result_hash: string } | { success: false; error_message: string };

/** The prover routes of the REST API, over fetch, with the prover's key. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw new ApiError(res.status, parsed as ApiError['body']);
    return { status: res.status, body: parsed as T };
  }

  async whoami(): Promise<{ role: string; subject: string }> {
    return (await this.call<{ role: string; subject: string }>('GET', '/v1/auth/whoami')).body;
  }

  async register(registration: Registration): Promise<{ state: string; created: boolean }> {
    const res = await this.call<{ state: string }>('POST', '/v1/provers/register', registration);
    return { state: res.body.state, created: res.status === 201 };
  }

  /** Load, the jobs running and the measured latency (left out: the last one is kept); the profile stays as registered. */
  async heartbeat(
    proverId: string,
    loadFactor: number,
    runningJobs: string[],
    latencyMs?: number,
  ): Promise<{ cancelled_jobs: string[]; released_jobs: string[] }> {
    const path = `/v1/provers/${encodeURIComponent(proverId)}/heartbeat`;
    return (
      await this.call<{ cancelled_jobs: string[]; released_jobs: string[] }>('POST', path, {
        load_factor: loadFactor,
        running_jobs: runningJobs,
        latency_ms: latencyMs,
      })
    ).body;
  }

  /** Starts and returns the next job assigned to this prover, waiting up to `waitSeconds`; null when none came. */
  async poll(proverId: string, waitSeconds: number, signal?: AbortSignal): Promise<JobToRun | null> {
    const path = `/v1/provers/${encodeURIComponent(proverId)}/poll`;
    const res = await this.call<JobToRun>('POST', path, { max_wait_seconds: waitSeconds }, signal);
    return res.status === 204 ? null : res.body;
  }

  /** The same report again is answered as the first (the API keys a report by job, prover and content). */
  async report(jobId: string, report: ResultReport): Promise<{ outcome: string; reward_micros: string | null }> {
    return (
      await this.call<{ outcome: string; reward_micros: string | null }>('POST', `/v1/jobs/${jobId}/result`, report)
    ).body;
  }

  async drain(proverId: string): Promise<void> {
    await this.call('POST', `/v1/provers/${encodeURIComponent(proverId)}/drain`, {});
  }

  async resume(proverId: string): Promise<void> {
    await this.call('POST', `/v1/provers/${encodeURIComponent(proverId)}/resume`, {});
  }

  async service(id: string): Promise<ServicePrice> {
    return (await this.call<ServicePrice>('GET', `/v1/registry/services/${encodeURIComponent(id)}`)).body;
  }
}
