import { Injectable } from '@nestjs/common';
import { Clock, UnauthenticatedError } from '@tally/shared';
import type { ApiKey } from '../domain/api-key';
import { checkSignature, SIGNATURE_WINDOW_SECONDS, type SignatureCheck } from '../domain/request-signature';
import { RequestSignatureRepository } from '../persistence/request-signature.repository';
import type { AuthenticatedRequest } from './authenticated-request';

const PROBLEMS: Record<Exclude<SignatureCheck, 'ok'>, string> = {
  missing: 'this key requires signed requests: send X-Timestamp and X-Signature',
  malformed: 'X-Timestamp must be unix seconds and X-Signature 64 hex characters',
  stale: `X-Timestamp is more than ${SIGNATURE_WINDOW_SECONDS} seconds from the server's clock`,
  mismatch: 'X-Signature does not match the request',
};

/**
 * Remembered signatures must outlive every timestamp that could still be accepted: a
 * request stamped up to the window ahead stays valid for twice the window after it is
 * seen; a minute more covers clock differences between app and database.
 */
const REMEMBER_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS + 60;
const PURGE_EVERY_MS = 60_000;

/** Verifies the HMAC of requests made with keys that require signatures, once per signature. */
@Injectable()
export class SignatureVerifier {
  private nextPurgeAt = 0;

  constructor(
    private readonly signatures: RequestSignatureRepository,
    private readonly clock: Clock,
  ) {}

  async verify(req: AuthenticatedRequest, key: ApiKey): Promise<void> {
    const timestamp = headerOf(req, 'x-timestamp');
    const signature = headerOf(req, 'x-signature');
    const check = checkSignature(
      key.keyHash,
      { timestamp, signature },
      { method: req.method, path: req.originalUrl, body: req.rawBody },
      Math.floor(this.clock.now().getTime() / 1000),
    );
    if (check !== 'ok') throw new UnauthenticatedError(PROBLEMS[check]);
    await this.purgeNowAndThen();
    if (!(await this.signatures.remember(signature!.toLowerCase(), key.id))) {
      throw new UnauthenticatedError('this signature was already used; sign each request with a fresh timestamp');
    }
  }

  private async purgeNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now < this.nextPurgeAt) return;
    this.nextPurgeAt = now + PURGE_EVERY_MS;
    await this.signatures.forgetOlderThan(REMEMBER_SECONDS);
  }
}

/** One header's value (the first, if it came several times). */
function headerOf(req: AuthenticatedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
