export * from './decorators/roles.decorator';
export * from './decorators/current-principal.decorator';
export { AuthModule } from './auth.module';
export type { ApiKey, Principal } from './domain/api-key';
export { hashApiKey } from './domain/api-key-secret';
export { ApiKeyNotFoundError } from './domain/api-key-not-found.error';
export {
  signRequest,
  computeSignature,
  SIGNATURE_WINDOW_SECONDS,
  type SignRequestInput,
  type SignedHeaders,
} from './domain/request-signature';
export type { AuthenticatedRequest } from './authentication/authenticated-request';
export { CredentialAuthenticator, type Authentication } from './authentication/credential-authenticator';
export { ApiKeyAuthenticator } from './authentication/api-key-authenticator';
export { presentedCredential } from './authentication/credentials';
export { CreateApiKeyCommand, type CreatedApiKey } from './commands/create-api-key/create-api-key.command';
export { RevokeApiKeyCommand } from './commands/revoke-api-key/revoke-api-key.command';
export { ListApiKeysQuery } from './queries/list-api-keys/list-api-keys.query';
// For transports other than HTTP (the gRPC server), which authenticate the same keys the same way.
export { RateLimiter, type RateLimitHeaders } from './authentication/rate-limiter';
// The control-action log (DSE §7.4): @ControlAction on a route, ControlLog.run elsewhere (the CLI).
export { ControlAction } from './control-log/control-action.decorator';
export type { ControlActionOptions } from './control-log/control-action.metadata';
export { ControlLog, controlActor, type ControlRunOptions } from './control-log/control-log';
export { ControlLogVerifier, type ControlLogReport } from './control-log/control-log-verifier';
export { ControlLogChainer } from './control-log/control-log-chainer';
export {
  type ControlActor,
  type ControlAction as ControlActionRecord,
  type ControlLogRow,
  CONTROL_LOG_GENESIS,
  controlLogHash,
  essentialFields,
} from './domain/control-log';
