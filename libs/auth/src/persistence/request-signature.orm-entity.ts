import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Table `request_signatures`: HMAC signatures seen recently; a replay hits the primary key. */
@Entity('request_signatures')
export class RequestSignatureOrmEntity {
  @PrimaryColumn({ type: 'char', length: 64 })
  signature: string;

  @Column({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @Index('request_signatures_seen_at_idx')
  @Column({ name: 'seen_at', type: 'timestamptz', default: () => 'now()' })
  seenAt: Date;
}
