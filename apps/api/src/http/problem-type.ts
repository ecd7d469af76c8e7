import type { ErrorCode } from '@tally/shared';

/**
 * Where the error reference is served (docs/errors.md, by the app itself). A problem's
 * `type` is this path with the code as fragment, so it is the same on every deployment and
 * resolves against whichever host answered.
 */
export const PROBLEM_TYPE_BASE = '/docs/errors';

export const problemType = (code: ErrorCode): string => `${PROBLEM_TYPE_BASE}#${code}`;
