import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { newId, TallyEnv } from '@tally/shared';
import { ApiKeyRepository } from '../domain/api-key';
import { displayPrefix, hashApiKey, MAX_PRESENTED_KEY_LENGTH } from '../domain/api-key-secret';
import { credentialKind } from '../domain/credential-kind';

/**
 * Ensures TALLY_ADMIN_KEY, when set, is an admin key (idempotent across restarts and
 * replicas). A key that was revoked stays revoked: revocation is final, so set a new value.
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminKeyBootstrap.name);

  constructor(
    private readonly env: TallyEnv,
    private readonly keys: ApiKeyRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const secret = this.env.TALLY_ADMIN_KEY;
    if (!secret) return;
    // A credential with a dot is read as a JWT (domain/credential-kind.ts), never as a key.
    if (secret.length > MAX_PRESENTED_KEY_LENGTH || /[\s,]/.test(secret) || credentialKind(secret) === 'jwt') {
      throw new Error(
        `TALLY_ADMIN_KEY must be at most ${MAX_PRESENTED_KEY_LENGTH} characters, without spaces, commas or dots`,
      );
    }
    const { key, created } = await this.keys.insertIfAbsent({
      id: newId(),
      keyHash: hashApiKey(secret),
      prefix: displayPrefix(secret),
      role: 'admin',
      subject: 'admin',
      requireSignature: false,
      label: 'TALLY_ADMIN_KEY',
    });
    if (created) this.logger.log(`admin key ${key.id} (${key.prefix}…) created from TALLY_ADMIN_KEY`);
    else if (key.revokedAt) this.logger.warn(`TALLY_ADMIN_KEY (key ${key.id}) is revoked; it will not authenticate`);
    else if (key.role !== 'admin') this.logger.warn(`TALLY_ADMIN_KEY matches key ${key.id}, whose role is ${key.role}`);
  }
}
