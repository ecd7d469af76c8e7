import { requirementsProblem } from './job-requirements';

describe('requirementsProblem: what a job may ask of a prover', () => {
  it.each([
    [undefined],
    [null],
    [{}],
    [{ gpu_count: 2, ram_gb: 64.5, supported_kernels: ['ntt', 'msm'], supports_fp16: true }],
    [{ region: 'eu-west-1', gpu_model: 'NVIDIA A100', supported_kernels: 'msm' }],
    [{ zk_acceleration: 'groth16' }],
    [{ zk_acceleration: ['groth16', 'stark'] }],
    [{ zk_acceleration: { stark: true, plonk: false } }],
    [{ hardware_profile: { gpu_count: 1 }, capabilities: { zk_acceleration: { groth16: true } } }],
    [{ gpu_count: null, supports_int8: false, supported_kernels: [] }],
    // The ends of each range a prover may register (prover-profile.dto.ts).
    [{ gpu_count: 64, cpu_cores: 4096, max_batch_size: 1_000_000, storage_iops: 1_000_000_000 }],
    [{ gpu_memory_gb: 65536, ram_gb: 1_048_576, network_bandwidth_gbps: 10000 }],
    [{ gpu_count: 0, ram_gb: 0, storage_type: 'nvme' }],
    [{ hardware_profile: { storage_type: 'hdd' }, capabilities: { supported_kernels: ['cuda-12', 'a.b:c+d'] } }],
  ])('accepts %j', (requirements) => {
    expect(requirementsProblem(requirements)).toBeNull();
  });

  it.each([
    ['x', 'requirements must be an object'],
    [[], 'requirements must be an object'],
    [{ bogus: 1 }, 'requirements.bogus is not a prover attribute'],
    [{ gpu_count: 'x' }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ gpu_count: -1 }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ gpu_count: true }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ supports_fp16: 'yes' }, 'requirements.supports_fp16 must be true or false'],
    [{ region: '' }, 'requirements.region must be a string'],
    [{ region: ['eu', 'us'] }, 'requirements.region must be a string'],
    [{ supported_kernels: [1] }, 'requirements.supported_kernels must be a kernel or a list'],
    [{ zk_acceleration: 'snark' }, 'requirements.zk_acceleration must name zk features'],
    [{ zk_acceleration: { groth16: 1 } }, 'requirements.zk_acceleration must name zk features'],
    [{ a: { b: { c: 1 } } }, 'requirements.a is not a prover attribute'],
    [{ hardware_profile: 'gpu' }, 'requirements.hardware_profile must be an object'],
    [
      { hardware_profile: { supports_fp16: true } },
      'requirements.hardware_profile.supports_fp16 is not a prover attribute',
    ],
    [{ capabilities: { gpu_count: 1 } }, 'requirements.capabilities.gpu_count is not a prover attribute'],
    [{ capabilities: { capabilities: {} } }, 'requirements.capabilities.capabilities is not a prover attribute'],
    [{ constructor: 1 }, 'requirements.constructor is not a prover attribute'],
    [{ ram_gb: Number.POSITIVE_INFINITY }, 'requirements.ram_gb must be a number from 0 to 1048576'],
    // Object.prototype's names are no prover attributes (Map lookups, not `in`).
    ...['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'constructor', '__proto__'].map((key) => [
      JSON.parse(`{"${key}": 1}`),
      `requirements.${key} is not a prover attribute`,
    ]),
    [JSON.parse('{"hardware_profile": {"toString": 1}}'), 'requirements.hardware_profile.toString is not a prover'],
    [JSON.parse('{"capabilities": {"__proto__": 1}}'), 'requirements.capabilities.__proto__ is not a prover'],
    // Values no prover can have: outside the ranges and enums prover registration allows.
    [{ storage_type: 'floppy' }, 'requirements.storage_type must be one of hdd, ssd, nvme, network'],
    [{ hardware_profile: { storage_type: 'NVME' } }, 'requirements.hardware_profile.storage_type must be one of'],
    [{ gpu_count: 100_000_000_000 }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ gpu_count: 65 }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ gpu_count: 1.5 }, 'requirements.gpu_count must be an integer from 0 to 64'],
    [{ cpu_cores: 4097 }, 'requirements.cpu_cores must be an integer from 0 to 4096'],
    [{ max_batch_size: 1_000_001 }, 'requirements.max_batch_size must be an integer from 0 to 1000000'],
    [{ storage_iops: 1e9 + 1 }, 'requirements.storage_iops must be an integer from 0 to 1000000000'],
    [{ gpu_memory_gb: 65536.5 }, 'requirements.gpu_memory_gb must be a number from 0 to 65536'],
    [{ network_bandwidth_gbps: 10001 }, 'requirements.network_bandwidth_gbps must be a number from 0 to 10000'],
    [{ region: 'eu west' }, 'requirements.region must be a string of 1 to 64 characters of A-Z'],
    [{ region: 'r'.repeat(65) }, 'requirements.region must be a string of 1 to 64'],
    [{ supported_kernels: ['msm', 'has space'] }, 'requirements.supported_kernels must be a kernel or a list'],
    [{ supported_kernels: 'k'.repeat(65) }, 'requirements.supported_kernels must be a kernel or a list'],
    [{ zk_acceleration: ['msm'] }, 'requirements.zk_acceleration must name zk features'],
  ])('refuses %j', (requirements, problem) => {
    expect(requirementsProblem(requirements)).toContain(problem);
  });
});
