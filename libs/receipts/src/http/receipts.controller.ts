import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Public, Roles } from '@tally/auth';
import { JobAudienceQuery, JobNotFoundError } from '@tally/jobs';
import { ApiErrors, ApiJobIdParam, DomainError, ErrorCode, InvalidRequestError, ParseJobIdPipe } from '@tally/shared';
import { SigningKeyring } from '../keys/signing-keyring';
import {
  ReceiptSignerSet,
  verifyChainQuorum,
  verifyQuorum,
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
import { ReceiptSignerSetQuery } from '../queries/receipt-keys.query';
import { SignedReceiptsQuery } from '../queries/signed-receipts/signed-receipts.query';

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

class ReceiptCountersignatureDto {
  @ApiProperty({ description: 'the signer of the set whose key signed' }) signer_id: string;
  @ApiProperty() key_id: string;
  @ApiProperty({ enum: ['ed25519'] }) algorithm: string;
  @ApiProperty({ description: 'hex, over the same statement bytes as signature' }) value: string;
  @ApiPropertyOptional({ format: 'date-time' }) signed_at?: string;
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
  @ApiPropertyOptional({
    type: [ReceiptCountersignatureDto],
    description: "with a signer set: each signer's signature (the issuer's first), not covered by receipt_hash",
  })
  signatures?: ReceiptCountersignatureDto[];
  @ApiPropertyOptional({ description: 'with a signer set: whether k distinct signers of the set have signed' })
  final?: boolean;
}

class ReceiptChainDto {
  @ApiProperty({ format: 'int64' }) network_job_id: string;
  @ApiProperty({ type: [ReceiptDocumentDto], description: 'oldest first' }) receipts: ReceiptDocumentDto[];
}

class SignerKeyDto {
  @ApiProperty() key_id: string;
  @ApiProperty({ description: 'raw Ed25519 public key, hex' }) public_key: string;
}

class ReceiptSignerDto {
  @ApiProperty() signer_id: string;
  @ApiProperty({ type: [SignerKeyDto], description: 'every key the signer ever used, rotated ones included' })
  keys: SignerKeyDto[];
}

class SignerSetDto {
  @ApiProperty({ description: 'false: no signer set is configured (one signer holding every signing key, k = 1)' })
  configured: boolean;
  @ApiProperty({ type: 'integer', description: 'k: distinct signers that make a receipt final' }) threshold: number;
  @ApiProperty({ type: [ReceiptSignerDto] }) signers: ReceiptSignerDto[];
}

class ReceiptKeysDto {
  @ApiProperty({ type: [PublishedKeyDto] }) keys: PublishedKeyDto[];
  @ApiProperty({ type: SignerSetDto, description: 'who signs receipts, and how many make one final' })
  signer_set: SignerSetDto;
}

class RejectedSignatureDto {
  @ApiProperty({ nullable: true, type: String }) signer_id: string | null;
  @ApiProperty() key_id: string;
  @ApiProperty({ enum: ['signer_not_in_set', 'signer_mismatch', 'signature_invalid'] }) reason: string;
}

class QuorumResultDto {
  @ApiProperty({ description: 'k distinct signers of the set signed (a chain: every receipt of it)' }) final: boolean;
  @ApiProperty({ type: 'integer' }) threshold: number;
  @ApiPropertyOptional({ type: [String], description: 'a receipt: the signers whose signature verified' })
  signed_by?: string[];
  @ApiPropertyOptional({ type: [RejectedSignatureDto], description: 'a receipt: signatures not counted' })
  rejected?: RejectedSignatureDto[];
  @ApiPropertyOptional({ type: [Number], description: 'a chain: the positions (from 0) of receipts not final' })
  not_final?: number[];
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
  @ApiPropertyOptional({ type: QuorumResultDto, description: 'with a signer set: the k-of-n check' })
  quorum?: QuorumResultDto;
}

@ApiTags('receipts')
@Controller()
export class ReceiptsController {
  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly audiences: JobAudienceQuery,
    private readonly keyring: SigningKeyring,
    private readonly signerSet: ReceiptSignerSetQuery,
    private readonly signed: SignedReceiptsQuery,
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
    const [served] = await this.signed.served([latest]);
    return served;
  }

  @Get('jobs/:network_job_id/receipts')
  @ApiJobIdParam()
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'receipts.chain',
    summary: "The job's receipt chain, oldest first: assignment(s), execution, verification, settlement",
  })
  @ApiOkResponse({ type: ReceiptChainDto })
  @ApiErrors(ErrorCode.JobNotFound)
  async chain(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    await this.checkAudience(id, principal);
    return { network_job_id: id, receipts: await this.signed.served(await this.receipts.chain(id)) };
  }

  @Get('receipts/keys')
  @Public({ throttled: true })
  @ApiOperation({
    operationId: 'receipts.keys',
    summary: 'Every key that ever signed receipts or batches, active and retired, and the receipt signer set',
  })
  @ApiOkResponse({ type: ReceiptKeysDto })
  async keys(): Promise<ReceiptKeysDto> {
    return { keys: await this.keyring.publicKeys(), signer_set: await this.signerSet.current() };
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
    // Reported with a configured set only: without one, a valid receipt is final.
    const set = this.signerSet.configured;
    if (isChainDocument(body)) {
      const problem = chainDocumentProblem(body);
      if (problem) throw new InvalidRequestError(problem.detail, { field: problem.field });
      const chain = verifyChainDocument(body as unknown as ReceiptChainDocument, keys);
      if (!chain.valid) return { valid: false, reason: chain.reason, index: chain.index };
      return set ? { ...chain, quorum: chainQuorum(body.receipts as unknown[], set) } : chain;
    }
    const check = verifyReceipt(body, keys);
    if (!check.valid) return { valid: false, reason: check.reason };
    const result: VerifyResultDto = { valid: true, key_id: check.key_id, receipt_hash: check.receipt_hash };
    if (set) result.quorum = receiptQuorum(body, set);
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

function receiptQuorum(doc: unknown, set: ReceiptSignerSet): QuorumResultDto {
  const q = verifyQuorum(doc, set);
  if (!q.valid) return { final: false, threshold: set.threshold, signed_by: [], rejected: [] };
  return { final: q.final, threshold: q.threshold, signed_by: q.signed_by, rejected: q.rejected };
}

function chainQuorum(docs: unknown[], set: ReceiptSignerSet): QuorumResultDto {
  const q = verifyChainQuorum(docs, set);
  const notFinal = q.receipts.flatMap((r, i) => (r.valid && r.final ? [] : [i]));
  return { final: q.final, threshold: set.threshold, not_final: notFinal };
}
