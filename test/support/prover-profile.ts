/** A prover's hardware profile and capabilities, as tests register and heartbeat them. */
export const HARDWARE = {
  cpu_cores: 32,
  cpu_model: 'AMD EPYC 7763',
  gpu_count: 2,
  gpu_model: 'NVIDIA A100',
  gpu_memory_gb: 80,
  ram_gb: 256,
  storage_type: 'nvme',
  storage_iops: 500000,
  network_bandwidth_gbps: 25,
};

export const CAPABILITIES = {
  supports_fp32: true,
  supports_fp16: true,
  supports_int8: false,
  max_batch_size: 64,
  supported_kernels: ['ntt', 'msm'],
  zk_acceleration: { groth16: true, plonk: false, stark: true },
};
