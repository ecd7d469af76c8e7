import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Public, Roles } from '@tally/auth';
import { JobAudienceQuery, JobNotFoundError } from '@tally/jobs';
import { ApiErrors, ApiJobIdParam, DomainError, ErrorCode, InvalidRequestError, ParseJobIdPipe } from '@tally/shared';
import { SigningKeyring } from '../keys/signing-keyring';
import {
  chainDocumentProblem,
  isChainDocument,
  RECEIPT_DOMAIN,
  RECEIPT_KINDS,
  RECEIPT_VERSIONS,
  ReceiptChainDocument,
  ReceiptDocument,
  verifyAttestation,
  verifyChainDocument,
  verifyReceipt,
} from '../offline';
import { ReceiptRepository } from '../persistence/receipt.repository';

class PublishedKeyDto {
  @ApiProperty({ description: 'hex SHA-256 of the raw public key' }) key_id: string;
  @ApiProperty({ description: 'raw Ed25519 public key, hex' }) public_key: string;
  @ApiProperty({ enum: ['signing', 'attestation'] }) purpose: string;
  @ApiProperty({ enum: ['active', 'retired'] }) status: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) retired_at: string | null;
}

class ReceiptSignatureDto {
  @ApiProperty() key_id: string;
  @ApiProperty({ enum: ['ed25519'] }) algorithm: string;
  @ApiProperty({ description: 'hex' }) value: string;
}

class ReceiptAttestationDto {
  @ApiProperty() key_id: string;
  @ApiProperty({ description: 'hex' }) value: string;
}

/** A signed receipt, in its own versioned format (docs/architecture.md): checked offline, never rewritten. */
class ReceiptDocumentDto {
  @ApiProperty({ enum: [RECEIPT_DOMAIN] }) domain: string;
  @ApiProperty({ type: 'integer', enum: RECEIPT_VERSIONS }) version: number;
  @ApiProperty({
    type: 'object',
    description: 'the signed fields; each kind adds its own beside these',
    required: ['receipt_id', 'kind', 'seq', 'network_job_id', 'prev_receipt_hash', 'issued_at'],
    properties: {
      receipt_id: { type: 'string' },
      kind: { type: 'string', enum: [...RECEIPT_KINDS] },
      seq: { type: 'integer', description: 'position in the chain, from 1' },
      network_job_id: { type: 'string' },
      legacy_network_job_id: { type: 'string' },
      prev_receipt_hash: { type: 'string', nullable: true },
      issued_at: { type: 'string', format: 'date-time' },
    },
    additionalProperties: true,
  })
  receipt: Record<string, unknown>;
  @ApiProperty({ description: 'hex SHA-256 of the canonical statement' }) receipt_hash: string;
  @ApiProperty({ type: ReceiptSignatureDto }) signature: ReceiptSignatureDto;
  @ApiPropertyOptional({ type: ReceiptAttestationDto }) attestation?: ReceiptAttestationDto;
}

class ReceiptChainDto {
  @ApiProperty({ format: 'int64' }) network_job_id: string;
  @ApiProperty({ type: [ReceiptDocumentDto], description: 'oldest first' }) receipts: ReceiptDocumentDto[];
}

class ReceiptKeysDto {
  @ApiProperty({ type: [PublishedKeyDto] }) keys: PublishedKeyDto[];
}

class VerifyResultDto {
  @ApiProperty() valid: boolean;
  @ApiPropertyOptional({
    description: 'why it is invalid: malformed, hash_mismatch, unknown_key, signature_invalid, …',
  })
  reason?: string;
  @ApiPropertyOptional() key_id?: string;
  @ApiPropertyOptional() receipt_hash?: string;
  @ApiPropertyOptional({ description: 'a chain: how many receipts verified' }) length?: number;
  @ApiPropertyOptional({ description: "a chain: the last receipt's hash" }) head?: string;
  @ApiPropertyOptional({ description: 'a chain: the position (from 0) of the receipt that failed' }) index?: number;
  @ApiPropertyOptional({ description: 'the attestation check, when the receipt carries one' })
  attestation?: { valid: boolean; reason?: string; key_id?: string };
}

@ApiTags('receipts')
@Controller()
export class ReceiptsController {
  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly audiences: JobAudienceQuery,
    private readonly keyring: SigningKeyring,
  ) {}

  @Get('jobs/:network_job_id/receipt')
  @ApiJobIdParam()
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'receipts.latest',
    summary: "The job's latest signed receipt (admin, the owning client, an assigned prover)",
  })
  @ApiOkResponse({ type: ReceiptDocumentDto })
  @ApiErrors(ErrorCode.JobNotFound)
  async latest(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    await this.checkAudience(id, principal);
    const latest = await this.receipts.latest(id);
    if (!latest) {
      throw new DomainError(ErrorCode.JobNotFound, `job ${id} has no receipt yet`, { network_job_id: id });
    }
    return latest;
  }

  @Get('jobs/:network_job_id/receipts')
  @ApiJobIdParam()
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'receipts.chain',
    summary: "The job's receipt chain, oldest first: assignment(s), execution, settlement",
  })
  @ApiOkResponse({ type: ReceiptChainDto })
  @ApiErrors(ErrorCode.JobNotFound)
  async chain(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    await this.checkAudience(id, principal);
    return { network_job_id: id, receipts: await this.receipts.chain(id) };
  }

  @Get('receipts/keys')
  @Public({ throttled: true })
  @ApiOperation({
    operationId: 'receipts.keys',
    summary: 'Every key that ever signed receipts or batches, active and retired',
  })
  @ApiOkResponse({ type: ReceiptKeysDto })
  async keys(): Promise<ReceiptKeysDto> {
    return { keys: await this.keyring.publicKeys() };
  }

  @Post('receipts/verify')
  @Public({ throttled: true })
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receipts.verify',
    summary: 'Verify a receipt document against the published keys (valid, or the reason it is not)',
  })
  @ApiBody({
    description:
      'a receipt as GET /v1/jobs/{id}/receipt returns it, or a chain as GET /v1/jobs/{id}/receipts does ({network_job_id, receipts})',
    schema: { type: 'object' },
  })
  @ApiOkResponse({ type: VerifyResultDto })
  async verify(@Body() body: unknown): Promise<VerifyResultDto> {
    const keys = await this.keyring.publicKeys();
    if (isChainDocument(body)) {
      const problem = chainDocumentProblem(body);
      if (problem) throw new InvalidRequestError(problem.detail, { field: problem.field });
      const chain = verifyChainDocument(body as unknown as ReceiptChainDocument, keys);
      return chain.valid ? chain : { valid: false, reason: chain.reason, index: chain.index };
    }
    const check = verifyReceipt(body, keys);
    if (!check.valid) return { valid: false, reason: check.reason };
    const result: VerifyResultDto = { valid: true, key_id: check.key_id, receipt_hash: check.receipt_hash };
    if ((body as ReceiptDocument).attestation) {
      const attested = verifyAttestation(body, keys);
      result.attestation = attested.valid
        ? { valid: true, key_id: attested.key_id }
        : { valid: false, reason: attested.reason };
    }
    return result;
  }

  /**
   * Someone else's job is as unknown to the caller as one that does not exist (like GET
   * /v1/jobs/{id}). A job's audience: its client, and every prover ever assigned to it
   * (holding a replica now, or named by an assignment receipt).
   */
  private async checkAudience(id: string, principal: Principal): Promise<void> {
    const job = await this.audiences.of(id);
    const visible =
      job &&
      (principal.role === 'admin' ||
        (principal.role === 'client' && job.clientId === principal.subject) ||
        (principal.role === 'prover' &&
          (job.provers.includes(principal.subject) ||
            (await this.receipts.assignedProvers(id)).has(principal.subject))));
    if (!visible) throw new JobNotFoundError(id);
  }
}
