import { Module } from '@nestjs/common';
import { AuthModule } from '@tally/auth';
import { JobsModule } from '@tally/jobs';
import { ProversModule } from '@tally/provers';
import { GrpcAuthenticator } from './grpc-auth';
import { GrpcServer } from './grpc-server';
import { grpcTransportSecurityProvider } from './grpc-transport-security';
import { OperationsModule } from '../operations/operations.module';

/** The gRPC transport of the Control API (proto/tally/dse/v1), beside REST in the same process. */
@Module({
  imports: [AuthModule, JobsModule, ProversModule, OperationsModule],
  providers: [grpcTransportSecurityProvider, GrpcAuthenticator, GrpcServer],
  exports: [GrpcServer],
})
export class GrpcModule {}
