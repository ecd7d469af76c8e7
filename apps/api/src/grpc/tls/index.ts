export {
  grpcServerCredentials,
  type GrpcTlsConfig,
  type GrpcTransportMode,
  type GrpcTransportSecurity,
  type PeerCall,
} from './grpc-server-credentials';
export { CERTIFICATE_ROLES, type CertificatePrincipal, type CertificateRole } from './certificate-roles';
export { reloadOnSighup, type ReloadLog } from './reload-on-sighup';
