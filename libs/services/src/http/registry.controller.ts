import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ErrorCode } from '@tally/shared';
import type { FastifyReply } from 'fastify';
import { ControlAction, Roles } from '@tally/auth';
import { type ServiceCategory, serviceScheduleSpec } from '../domain';
import { PutServiceCommand } from '../commands/put-service/put-service.command';
import { ServiceRegistry } from '../service-registry/service-registry';
import { PutServiceRequestDto } from './dto/put-service.request.dto';
import { ListServicesQueryDto, ServiceVersionQueryDto } from './dto/registry.query.dto';
import {
  ServiceListResponseDto,
  ServiceRequirementsResponseDto,
  ServiceResponseDto,
  ServiceSchemaResponseDto,
} from './dto/service.response.dto';
import { presentService, presentServiceRequirements, presentServiceSchema } from './service.presenter';

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
  @ApiOperation({ operationId: 'registry.list', summary: 'Every service (of one category when asked), ordered by id' })
  async list(@Query() q: ListServicesQueryDto) {
    const schedules = await this.registry.list(q.category as ServiceCategory | undefined);
    return { items: schedules.map(presentService) };
  }

  @Get(':id')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: ServiceResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'registry.get',
    summary: "A service's schedule, current or an earlier version (404 when unknown)",
  })
  async get(@Param('id') id: string, @Query() q: ServiceVersionQueryDto) {
    return presentService(await this.registry.get(id, versionOf(q)));
  }

  @Get(':id/schema')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: ServiceSchemaResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'registry.schema',
    summary: "A service's JSON Schemas (job input, result metadata) and an example input",
  })
  async schema(@Param('id') id: string, @Query() q: ServiceVersionQueryDto) {
    return presentServiceSchema(await this.registry.get(id, versionOf(q)));
  }

  @Get(':id/requirements')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: ServiceRequirementsResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({ operationId: 'registry.requirements', summary: 'What a prover needs to run a service' })
  async requirements(@Param('id') id: string, @Query() q: ServiceVersionQueryDto) {
    return presentServiceRequirements(await this.registry.get(id, versionOf(q)));
  }

  @Put(':id')
  @Roles('admin')
  @ControlAction('registry.put')
  @ApiCreatedResponse({ type: ServiceResponseDto, description: 'created (Location names it)' })
  @ApiOkResponse({ type: ServiceResponseDto, description: 'replaced' })
  @ApiOperation({
    operationId: 'registry.put',
    summary: 'Create (201) or replace (200) a service; each PUT is a new version, the old ones stay readable',
  })
  async put(@Param('id') id: string, @Body() dto: PutServiceRequestDto, @Res({ passthrough: true }) res: FastifyReply) {
    const { schedule, created } = await this.commands.execute(new PutServiceCommand(serviceScheduleSpec(id, dto)));
    res.status(created ? 201 : 200);
    if (created) res.header('Location', `/v1/registry/services/${schedule.id}`);
    return presentService(schedule);
  }
}

const versionOf = (q: ServiceVersionQueryDto) => (q.version === undefined ? undefined : Number(q.version));
