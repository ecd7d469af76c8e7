import { LedgerCtx } from './ledger-ctx';
import { CAPABILITIES, HARDWARE } from './prover-profile';

type Headers = Record<string, string>;

/** A price schedule of one credit per unit (a job's cost is its units), with `over` on top. */
export const oneCreditSchedule = (over: Record<string, unknown> = {}) => ({
  price_per_unit: '1',
  unit: 'gpu_second',
  size_factor: '1',
  minimum_charge: '0',
  hardware_requirements: {},
  ...over,
});

/** One-line builders for job tests on top of the ledger ones. */
export class JobsCtx extends LedgerCtx {
  /** PUT /v1/registry/services/{id} as an admin: the request, to await or expect on. */
  putService(id: string, schedule: unknown) {
    return this.t
      .http()
      .put(`/v1/registry/services/${id}`)
      .set(this.admin())
      .send(schedule as object);
  }

  /** GET /v1/registry/services/{id} as an admin. */
  getService(id: string) {
    return this.t.http().get(`/v1/registry/services/${id}`).set(this.admin());
  }

  /** A client with `credits` minted and a key; returns its name and headers. */
  async fundedClient(credits: string): Promise<{ name: string; key: Headers }> {
    const name = this.name('client');
    await this.mint('user', name, credits);
    return { name, key: await this.newKey('client', name) };
  }

  /** A prover's key (the prover itself is not registered: see workingProver). */
  async prover(): Promise<{ name: string; key: Headers }> {
    const name = this.name('prover');
    return { name, key: await this.newKey('prover', name) };
  }

  /** A prover registered by its own key (so live), with room for many jobs: admins may assign to it. */
  async workingProver(maxConcurrency = 1024): Promise<{ name: string; key: Headers }> {
    const prover = await this.prover();
    await this.t
      .http()
      .post('/v1/provers/register')
      .set(prover.key)
      .send({
        prover_id: prover.name,
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        region: 'eu-west-1',
        max_concurrency: maxConcurrency,
      })
      .expect(201);
    return prover;
  }

  submit(key: Headers, body: Record<string, unknown>) {
    return this.t
      .http()
      .post('/v1/jobs/submit')
      .set(key)
      .send({ payload: { task: 'prove' }, ...body });
  }

  assign(jobId: string, provers: string[]) {
    return this.t.http().post(`/v1/jobs/${jobId}/assign`).set(this.admin()).send({ prover_ids: provers });
  }

  start(jobId: string, key: Headers) {
    return this.t.http().post(`/v1/jobs/${jobId}/start`).set(key).send();
  }

  report(jobId: string, key: Headers, body: Record<string, unknown>) {
    return this.t.http().post(`/v1/jobs/${jobId}/result`).set(key).send(body);
  }

  job(jobId: string) {
    return this.t.http().get(`/v1/jobs/${jobId}`).set(this.admin());
  }

  /** Submits, assigns and starts a job; returns its id. */
  async running(
    client: Headers,
    provers: { name: string; key: Headers }[],
    body: Record<string, unknown>,
  ): Promise<string> {
    const submitted = await this.submit(client, body).expect(201);
    const id = submitted.body.network_job_id;
    await this.assign(
      id,
      provers.map((p) => p.name),
    ).expect(201);
    for (const p of provers) await this.start(id, p.key).expect(201);
    return id;
  }

  async waitForStatus(jobId: string, status: string, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    let current = '';
    while (Date.now() < deadline) {
      current = (await this.job(jobId)).body.status;
      if (current === status) return current;
      await new Promise((r) => setTimeout(r, 50));
    }
    return current;
  }
}
