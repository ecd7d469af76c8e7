/**
 * A setting the operator must fix before the service can start: main.ts prints its message
 * alone (no stack trace) and exits 1, so the message says what is wrong and how to fix it.
 */
export class ConfigurationError extends Error {}
