import { ApiExtension } from '@nestjs/swagger';
import type { ErrorCode } from '../errors';

/**
 * The DSE codes an operation can answer beyond those any operation can (DSE-001, DSE-007,
 * DSE-014; DSE-002 and DSE-012 where a key or a rate limit applies; DSE-009 where it takes an
 * Idempotency-Key). The OpenAPI document lists each under its HTTP status as
 * application/problem+json.
 */
export const ApiErrors = (...codes: ErrorCode[]) => ApiExtension('x-dse-errors', codes);
