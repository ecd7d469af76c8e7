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
  ])('accepts %j', (requirements) => {
    expect(requirementsProblem(requirements)).toBeNull();
  });

  it.each([
    ['x', 'requirements must be an object'],
    [[], 'requirements must be an object'],
    [{ bogus: 1 }, 'requirements.bogus is not a prover attribute'],
    [{ gpu_count: 'x' }, 'requirements.gpu_count must be a non-negative number'],
    [{ gpu_count: -1 }, 'requirements.gpu_count must be a non-negative number'],
    [{ gpu_count: true }, 'requirements.gpu_count must be a non-negative number'],
    [{ supports_fp16: 'yes' }, 'requirements.supports_fp16 must be true or false'],
    [{ region: '' }, 'requirements.region must be a string'],
    [{ region: ['eu', 'us'] }, 'requirements.region must be a string'],
    [{ supported_kernels: [1] }, 'requirements.supported_kernels must be a name or a list'],
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
    [{ ram_gb: Number.POSITIVE_INFINITY }, 'requirements.ram_gb must be a non-negative number'],
  ])('refuses %j', (requirements, problem) => {
    expect(requirementsProblem(requirements)).toContain(problem);
  });
});
