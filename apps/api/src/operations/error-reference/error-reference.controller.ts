import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@tally/auth';
import { renderErrorReference } from './error-reference';

/** Serves the error reference at the URI every problem's `type` names (/docs/errors#<code>). */
@ApiTags('operations')
@Controller({ path: 'docs', version: VERSION_NEUTRAL })
export class ErrorReferenceController {
  private readonly html = renderErrorReference();

  @Get('errors')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiOperation({
    operationId: 'operations.errors',
    summary: "The error reference: every DSE code, its status and when it is answered (a problem's type)",
    security: [],
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: "docs/errors.md as HTML; each code's row is anchored (#DSE-008)",
    schema: { type: 'string' },
  })
  errors(): string {
    return this.html;
  }
}
