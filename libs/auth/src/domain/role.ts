/** Who a key acts as (docs/architecture.md §7): an admin, a client (its own account and jobs), a prover. */
export const ROLES = ['admin', 'client', 'prover'] as const;
export type Role = (typeof ROLES)[number];
