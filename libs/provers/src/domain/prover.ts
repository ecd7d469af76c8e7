import { DomainError, ErrorCode } from '@tally/shared';
import { OFFLINE_STATE, type ProverState } from './prover-state';

export const STORAGE_TYPES = ['hdd', 'ssd', 'nvme', 'network'] as const;

export interface HardwareProfile {
  cpu_cores: number;
  cpu_model: string;
  gpu_count: number;
  gpu_model: string;
  gpu_memory_gb: number;
  ram_gb: number;
  storage_type: (typeof STORAGE_TYPES)[number];
  storage_iops: number;
  network_bandwidth_gbps: number;
}

export interface ZkAcceleration {
  groth16: boolean;
  plonk: boolean;
  stark: boolean;
}

export interface ProverCapabilities {
  supports_fp32: boolean;
  supports_fp16: boolean;
  supports_int8: boolean;
  max_batch_size: number;
  supported_kernels: string[];
  zk_acceleration: ZkAcceleration;
}

export class ProverNotFoundError extends DomainError {
  constructor(proverId: string) {
    super(ErrorCode.ProverNotFound, `no prover ${proverId}`, { prover_id: proverId });
  }
}

/** The flat feature list of a prover's capabilities: precisions, proof systems, then kernels (sorted). */
export function supportedFeatures(capabilities: Partial<ProverCapabilities>): string[] {
  const features: string[] = [];
  if (capabilities.supports_fp32) features.push('fp32');
  if (capabilities.supports_fp16) features.push('fp16');
  if (capabilities.supports_int8) features.push('int8');
  const zk = capabilities.zk_acceleration;
  if (zk?.groth16) features.push('groth16');
  if (zk?.plonk) features.push('plonk');
  if (zk?.stark) features.push('stark');
  const kernels = [...new Set(capabilities.supported_kernels ?? [])].sort();
  return [...features, ...kernels.filter((k) => !features.includes(k))];
}

/**
 * The state a prover is reported in: its stored state, except that a prover without a
 * heartbeat within the liveness TTL is offline whatever it was.
 */
export function effectiveState(
  stored: ProverState,
  lastHeartbeat: Date | null,
  now: Date,
  livenessTtlMs: number,
): ProverState {
  if (!lastHeartbeat || now.getTime() - lastHeartbeat.getTime() > livenessTtlMs) return OFFLINE_STATE;
  return stored;
}
