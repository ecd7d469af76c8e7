import { SetMetadata } from '@nestjs/common';

export type Role = 'admin' | 'client' | 'prover';
export const ROLES = ['admin', 'client', 'prover'] as const;

export const ROLES_KEY = 'tally:roles';
export const PUBLIC_KEY = 'tally:public';

/** The roles allowed on a route. A route with neither @Roles nor @Public is denied. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Marks a route as open to anyone (health, readiness, docs, metrics, public keys). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
