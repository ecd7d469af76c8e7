import { Global, Module } from '@nestjs/common';
import { ControlActionInterceptor } from './control-action.interceptor';
import { ControlLog } from './control-log';
import { ControlLogChainer } from './control-log-chainer';
import { ControlLogRepository } from './control-log.repository';
import { ControlLogVerifier } from './control-log-verifier';

/**
 * The control log, for every module: a @ControlAction route in any lib gets its interceptor
 * and ControlLog from here, without importing AuthModule.
 */
@Global()
@Module({
  providers: [ControlLogRepository, ControlLog, ControlLogChainer, ControlLogVerifier, ControlActionInterceptor],
  exports: [ControlLogRepository, ControlLog, ControlLogChainer, ControlLogVerifier, ControlActionInterceptor],
})
export class ControlLogModule {}
