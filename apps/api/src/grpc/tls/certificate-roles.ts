import type { PeerCertificate } from 'node:tls';
import { IDENTIFIER_PATTERN } from '@tally/shared';

/** The internal components a client certificate may stand for (DSE §7.2). */
export const CERTIFICATE_ROLES = ['scheduler', 'persistor', 'prover'] as const;
export type CertificateRole = (typeof CERTIFICATE_ROLES)[number];

/** Who a verified client certificate is: its role, and its subject's CN (a prover's id for `prover`). */
export interface CertificatePrincipal {
  role: CertificateRole;
  subject: string;
}

/** The subject attributes a role map may match on. */
const ATTRIBUTES = ['CN', 'OU', 'O'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

/** One entry of GRPC_TLS_ROLE_MAP: a certificate whose subject has `attribute` = `value` has `role`. */
export interface RoleMapEntry {
  attribute: Attribute;
  value: string;
  role: CertificateRole;
}

/** Unset GRPC_TLS_ROLE_MAP: the subject's OU names the role. */
export const DEFAULT_ROLE_MAP = 'OU=scheduler:scheduler,OU=persistor:persistor,OU=prover:prover';

export class RoleMapError extends Error {}

/**
 * Parses GRPC_TLS_ROLE_MAP: comma-separated `ATTRIBUTE=VALUE:role` entries (ATTRIBUTE one of
 * CN, OU, O). The role follows the last colon, so a value may hold colons; it may not hold a
 * comma. Throws a RoleMapError naming the first bad entry.
 */
export function parseRoleMap(text: string = DEFAULT_ROLE_MAP): RoleMapEntry[] {
  const entries = text.split(',').map((raw) => raw.trim());
  if (entries.every((e) => e === '')) throw new RoleMapError('has no entry');
  const seen = new Map<string, CertificateRole>();
  return entries.map((entry) => {
    const match = /^([A-Za-z]+)=(.+):([a-z]+)$/.exec(entry);
    const attribute = match?.[1].toUpperCase();
    const value = match?.[2].trim();
    const role = match?.[3];
    if (!match || !value || !(ATTRIBUTES as readonly string[]).includes(attribute!)) {
      throw new RoleMapError(
        `entry "${entry}" is not ATTRIBUTE=VALUE:role with ATTRIBUTE one of ${ATTRIBUTES.join(', ')}`,
      );
    }
    if (!(CERTIFICATE_ROLES as readonly string[]).includes(role!)) {
      throw new RoleMapError(`entry "${entry}": role must be one of ${CERTIFICATE_ROLES.join(', ')}`);
    }
    const key = `${attribute}=${value}`;
    if (seen.has(key)) throw new RoleMapError(`${key} is listed twice`);
    seen.set(key, role as CertificateRole);
    return { attribute: attribute as Attribute, value, role: role as CertificateRole };
  });
}

/**
 * The principal of a verified client certificate, or null when it has none: no entry of the
 * map matches its subject, entries naming different roles match (ambiguous), or its CN is
 * missing, repeated or not an identifier. A certificate without a principal is authenticated
 * by TLS but authorised for nothing.
 */
export function principalOfCertificate(
  certificate: Pick<PeerCertificate, 'subject'> | undefined,
  roleMap: readonly RoleMapEntry[],
): CertificatePrincipal | null {
  const subject = certificate?.subject;
  if (!subject) return null;
  const valuesOf = (attribute: Attribute): string[] => {
    const value = (subject as unknown as Record<string, string | string[] | undefined>)[attribute];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const roles = new Set(roleMap.filter((e) => valuesOf(e.attribute).includes(e.value)).map((e) => e.role));
  const names = valuesOf('CN');
  if (roles.size !== 1 || names.length !== 1 || !IDENTIFIER_PATTERN.test(names[0])) return null;
  return { role: [...roles][0], subject: names[0] };
}
