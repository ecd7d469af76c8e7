export type KeyPurpose = 'signing' | 'attestation';

/** A signing key as published (GET /v1/receipts/keys): its public half, purpose and life. */
export interface PublishedKey {
  key_id: string;
  public_key: string;
  purpose: KeyPurpose;
  status: 'active' | 'retired';
  created_at: string;
  retired_at: string | null;
}
