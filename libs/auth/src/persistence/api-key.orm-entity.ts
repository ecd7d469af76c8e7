import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Role } from '../domain/role';

/** Table `api_keys` (migration ApiKeys1763790000000). */
@Entity('api_keys')
@Index('api_keys_role_subject_idx', ['role', 'subject'])
@Check('api_keys_role_check', `role IN ('admin', 'client', 'prover')`)
export class ApiKeyOrmEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'key_hash', type: 'char', length: 64, unique: true })
  keyHash: string;

  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Column({ type: 'varchar', length: 128 })
  subject: string;

  @Column({ name: 'require_signature', type: 'boolean', default: false })
  requireSignature: boolean;

  @Column({ type: 'varchar', length: 256, nullable: true })
  label: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
