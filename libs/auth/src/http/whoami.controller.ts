import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../decorators/current-principal.decorator';
import { Roles } from '../decorators/roles.decorator';
import type { Principal } from '../domain/api-key';
import { WhoamiResponseDto } from './dto/whoami.response.dto';

/** Who the presented key (or JWT) is; a cheap way for a caller to check its credential (and its signing). */
@ApiTags('auth')
@Roles('admin', 'client', 'prover')
@Controller('auth/whoami')
export class WhoamiController {
  @Get()
  @ApiOperation({ operationId: 'auth.whoami', summary: 'The key (or JWT) making this request' })
  @ApiOkResponse({ type: WhoamiResponseDto })
  get(@CurrentPrincipal() principal: Principal): WhoamiResponseDto {
    return WhoamiResponseDto.from(principal);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'auth.whoamiSigned',
    summary: 'Same as GET; the body is ignored (for checking signatures over a body)',
  })
  @ApiOkResponse({ type: WhoamiResponseDto })
  post(@CurrentPrincipal() principal: Principal): WhoamiResponseDto {
    return WhoamiResponseDto.from(principal);
  }
}
