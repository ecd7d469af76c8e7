import { isConnectionLoss } from '@tally/database';

interface LastResortLogger {
  error(fields: object, message: string): void;
  fatal(fields: object, message: string): void;
}

/**
 * What the process does with an error nothing caught: a lost database connection that
 * escaped its owner (every pooled connection has a listener, so this should not happen)
 * is logged and the process keeps serving, as the pool replaces the connection; anything
 * else is a programming error, logged as fatal, and the process exits 1 as Node would.
 */
export function onUncaught(error: unknown, logger: LastResortLogger, exit: (code: number) => void): void {
  if (isConnectionLoss(error)) {
    logger.error({ err: error }, 'a lost database connection reached the process unhandled; still serving');
    return;
  }
  logger.fatal({ err: error }, 'uncaught error; exiting');
  exit(1);
}

/** Installs onUncaught for uncaught exceptions and unhandled rejections. */
export function installLastResort(logger: LastResortLogger): void {
  const handler = (error: unknown) => onUncaught(error, logger, (code) => process.exit(code));
  process.on('uncaughtException', handler);
  process.on('unhandledRejection', handler);
}
