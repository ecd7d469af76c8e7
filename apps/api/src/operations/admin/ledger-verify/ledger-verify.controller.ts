import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles } from '@tally/auth';
import { VerifyRuns } from '@tally/ledger';
import { ApiErrors, ErrorCode, NoFieldsRequestDto, NotFoundError } from '@tally/shared';
import { LedgerVerifyRunResponseDto } from './ledger-verify-run.response.dto';
import { LedgerVerifyRunner } from './ledger-verify-runner';

@ApiTags('admin')
@Controller('admin/ledger/verify')
export class LedgerVerifyController {
  constructor(
    private readonly runner: LedgerVerifyRunner,
    private readonly runs: VerifyRuns,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('admin')
  @ApiOperation({
    operationId: 'admin.startLedgerVerify',
    summary: 'Start a background ledger verify (the one running, if any, is returned instead)',
  })
  @ApiAcceptedResponse({ type: LedgerVerifyRunResponseDto })
  start(@Body() _body: NoFieldsRequestDto, @CurrentPrincipal() principal: Principal) {
    return this.runner.start(principal.subject);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ operationId: 'admin.getLedgerVerify', summary: 'The latest ledger verify run, with its progress' })
  @ApiOkResponse({ type: LedgerVerifyRunResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  async latest() {
    const run = await this.runs.latest();
    if (!run) throw new NotFoundError('no ledger verify has run yet');
    return run;
  }
}
