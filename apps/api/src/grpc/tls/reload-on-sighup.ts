import type { GrpcTransportSecurity } from './grpc-server-credentials';

/** Where the reload says what happened (a Nest Logger fits). */
export interface ReloadLog {
  log(message: string): void;
  error(message: string): void;
}

/**
 * Reloads the gRPC certificate, key, CA and CRL files on SIGHUP (the usual signal for "read
 * your files again"), logging the outcome; a failed reload keeps the files being served.
 * Returns the function that removes the handler (call it on shutdown).
 */
export function reloadOnSighup(security: GrpcTransportSecurity, logger: ReloadLog): () => void {
  if (security.mode === 'plaintext') return () => undefined;
  const reload = () => {
    try {
      security.reload();
      logger.log('gRPC: TLS files reloaded on SIGHUP; new connections use them');
    } catch (error) {
      logger.error(`gRPC: TLS reload on SIGHUP refused, still serving the previous files. ${(error as Error).message}`);
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}
