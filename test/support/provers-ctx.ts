import { JobsCtx } from './jobs-ctx';
import { CAPABILITIES, HARDWARE } from './prover-profile';

export { CAPABILITIES, HARDWARE } from './prover-profile';

type Headers = Record<string, string>;

/** One-line builders for prover tests on top of the job ones. */
export class ProversCtx extends JobsCtx {
  /** A prover key that has registered itself (201). */
  async registeredProver(extra: Record<string, unknown> = {}): Promise<{ name: string; key: Headers }> {
    const prover = await this.prover();
    await this.register(prover.key, { prover_id: prover.name, ...extra }).expect(201);
    return prover;
  }

  /** A funded client's job with one replica on each prover, each started by its prover's poll; returns its id. */
  async polledJob(provers: { name: string; key: Headers }[]): Promise<string> {
    const client = await this.fundedClient('10');
    const res = await this.submit(client.key, { max_cost_micros: 3_000_000, replicas: provers.length }).expect(201);
    const id = res.body.network_job_id;
    await this.assign(
      id,
      provers.map((p) => p.name),
    ).expect(201);
    for (const p of provers) expect((await this.poll(p.name, p.key).expect(200)).body.network_job_id).toBe(id);
    return id;
  }

  register(key: Headers, body: Record<string, unknown>) {
    return this.t
      .http()
      .post('/v1/provers/register')
      .set(key)
      .send({
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        region: 'eu-west-1',
        max_concurrency: 4,
        ...body,
      });
  }

  heartbeat(id: string, key: Headers, body: Record<string, unknown> = {}) {
    return this.t
      .http()
      .post(`/v1/provers/${id}/heartbeat`)
      .set(key)
      .send({ hardware_profile: HARDWARE, capabilities: CAPABILITIES, load_factor: 0.25, ...body });
  }

  getProver(id: string, key: Headers = this.admin()) {
    return this.t.http().get(`/v1/provers/${id}`).set(key);
  }

  poll(id: string, key: Headers, body?: Record<string, unknown>) {
    const req = this.t.http().post(`/v1/provers/${id}/poll`).set(key);
    return body ? req.send(body) : req.send();
  }

  /** Waits until the prover's scorecard reaches `version` (score events are applied after the relay). */
  async waitForScoreVersion(id: string, version: number, ms = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const body = (await this.getProver(id).expect(200)).body;
      if (Number(body.version) >= version || Date.now() > deadline) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
