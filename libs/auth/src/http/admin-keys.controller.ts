import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrors,
  ErrorCode,
  badCursor,
  decodeCursorText,
  encodeCursorText,
  pageLimit,
  UUID_PATTERN,
} from '@tally/shared';
import { CreateApiKeyCommand } from '../commands/create-api-key/create-api-key.command';
import { RevokeApiKeyCommand } from '../commands/revoke-api-key/revoke-api-key.command';
import { ApiKeyCache } from '../authentication/api-key-cache';
import { ControlAction } from '../control-log/control-action.decorator';
import { ControlLog, controlActor } from '../control-log/control-log';
import { CurrentPrincipal } from '../decorators/current-principal.decorator';
import { Roles } from '../decorators/roles.decorator';
import type { Principal } from '../domain/api-key';
import { essentialFields } from '../domain/control-log';
import { ListApiKeysQuery } from '../queries/list-api-keys/list-api-keys.query';
import { ApiKeyListResponseDto, ApiKeyResponseDto } from './dto/api-key.response.dto';
import { CreateApiKeyRequestDto } from './dto/create-api-key.request.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys.query.dto';
import { CreatedApiKeyResponseDto } from './dto/created-api-key.response.dto';

@ApiTags('admin')
@Roles('admin')
@Controller('admin/keys')
export class AdminKeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly controlLog: ControlLog,
    private readonly cache: ApiKeyCache,
  ) {}

  @Post()
  @ControlAction('admin.createKey')
  @ApiOperation({
    operationId: 'admin.createKey',
    summary: 'Create an API key (the key is shown only in this response)',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  async create(@Body() body: CreateApiKeyRequestDto): Promise<CreatedApiKeyResponseDto> {
    const created = await this.commands.execute(
      new CreateApiKeyCommand(body.role, body.subject, {
        requireSignature: body.require_signature,
        label: body.label,
      }),
    );
    return CreatedApiKeyResponseDto.fromCreated(created);
  }

  @Get()
  @ApiOperation({
    operationId: 'admin.listKeys',
    summary:
      'List API keys, oldest first, by role, subject or revoked (never their secrets or hashes); keyset pages (next_cursor)',
  })
  @ApiOkResponse({ type: ApiKeyListResponseDto })
  async list(@Query() q: ListApiKeysQueryDto): Promise<ApiKeyListResponseDto> {
    const limit = pageLimit(q.limit);
    // A cursor is the id of the page's last key (keys are never deleted, so it stays valid).
    const after = q.cursor === undefined ? undefined : decodeCursorText(q.cursor);
    if (after !== undefined && !UUID_PATTERN.test(after)) throw badCursor();
    const keys = await this.queries.execute(
      new ListApiKeysQuery({
        role: q.role,
        subject: q.subject,
        revoked: q.revoked === undefined ? undefined : q.revoked === 'true',
        after,
        limit,
      }),
    );
    return {
      keys: keys.map((key) => ApiKeyResponseDto.from(key)),
      next_cursor: keys.length === limit ? encodeCursorText(keys[keys.length - 1].id) : null,
    };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'admin.revokeKey',
    summary:
      'Revoke an API key: refused at once by this instance, by other instances (and after a CLI revoke) within 5 s, the life of their key cache',
  })
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<ApiKeyResponseDto> {
    const action = {
      actor: controlActor(principal),
      action: 'admin.revokeKey',
      fields: essentialFields({ id }, undefined),
    };
    try {
      return ApiKeyResponseDto.from(
        await this.controlLog.run(action, () => this.commands.execute(new RevokeApiKeyCommand(id))),
      );
    } finally {
      // Again after the commit: a request meanwhile may have cached the key as it was before.
      this.cache.invalidate();
    }
  }
}
