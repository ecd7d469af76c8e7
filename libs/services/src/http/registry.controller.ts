import { Body, Controller, Get, Param, Put, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ErrorCode } from '@tally/shared';
import type { FastifyReply } from 'fastify';
import { Roles } from '@tally/auth';
import { serviceScheduleSpec } from '../domain';
import { PutServiceCommand } from '../commands/put-service/put-service.command';
import { ServiceRegistry } from '../service-registry/service-registry';
import { PutServiceRequestDto } from './dto/put-service.request.dto';
import { ServiceListResponseDto, ServiceResponseDto } from './dto/service.response.dto';
import { presentService } from './service.presenter';

@ApiTags('registry')
@Controller('registry/services')
export class RegistryController {
  constructor(
    private readonly commands: CommandBus,
    private readonly registry: ServiceRegistry,
  ) {}

  @Get()
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: ServiceListResponseDto })
  @ApiOperation({ operationId: 'registry.list', summary: "Every service's price schedule, ordered by id" })
  async list() {
    const schedules = await this.registry.list();
    return { items: schedules.map(presentService) };
  }

  @Get(':id')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: ServiceResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({ operationId: 'registry.get', summary: "A service's price schedule (404 when unknown)" })
  async get(@Param('id') id: string) {
    return presentService(await this.registry.get(id));
  }

  @Put(':id')
  @Roles('admin')
  @ApiCreatedResponse({ type: ServiceResponseDto, description: 'created (Location names it)' })
  @ApiOkResponse({ type: ServiceResponseDto, description: 'replaced' })
  @ApiOperation({
    operationId: 'registry.put',
    summary: "Create (201) or replace (200) a service's price schedule; each PUT bumps its version",
  })
  async put(@Param('id') id: string, @Body() dto: PutServiceRequestDto, @Res({ passthrough: true }) res: FastifyReply) {
    const { schedule, created } = await this.commands.execute(new PutServiceCommand(serviceScheduleSpec(id, dto)));
    res.status(created ? 201 : 200);
    if (created) res.header('Location', `/v1/registry/services/${schedule.id}`);
    return presentService(schedule);
  }
}
