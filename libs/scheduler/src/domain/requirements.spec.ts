import { meetsRequirement, meetsRequirements, type ProverAttributes } from './requirements';

const prover: ProverAttributes = {
  region: 'eu-west',
  hardwareProfile: {
    cpu_cores: 32,
    gpu_count: 2,
    gpu_model: 'A100',
    gpu_memory_gb: 80,
    ram_gb: 256,
    storage_type: 'nvme',
  },
  capabilities: {
    supports_fp16: true,
    supports_int8: false,
    max_batch_size: 64,
    supported_kernels: ['cuda-12', 'msm'],
    zk_acceleration: { groth16: true, plonk: true, stark: false },
  },
};

describe('meetsRequirements', () => {
  it.each([
    [{}, true],
    [{ supports_fp16: true }, true],
    [{ supports_int8: true }, false],
    [{ supports_int8: false }, true], // false asks for nothing
    [{ supports_fp32: true }, false], // a missing key fails a real requirement
    [{ gpu_count: 2, gpu_memory_gb: 40, ram_gb: 256 }, true], // numbers are minimums
    [{ gpu_count: 3 }, false],
    [{ cpu_cores: 32.5 }, false],
    [{ max_batch_size: 64 }, true],
    [{ supported_kernels: ['msm'] }, true], // arrays are subsets
    [{ supported_kernels: ['msm', 'cuda-12'] }, true],
    [{ supported_kernels: ['msm', 'ntt'] }, false],
    [{ supported_kernels: [] }, true],
    [{ supported_kernels: 'cuda-12' }, true], // a string must be held by an array value
    [{ zk_acceleration: ['groth16', 'plonk'] }, true], // against an object: keys set to true
    [{ zk_acceleration: ['stark'] }, false],
    [{ zk_acceleration: 'groth16' }, true],
    [{ zk_acceleration: { groth16: true } }, true], // objects recurse
    [{ zk_acceleration: { stark: true } }, false],
    [{ gpu_model: 'A100', storage_type: 'nvme', region: 'eu-west' }, true], // strings are equal
    [{ gpu_model: 'H100' }, false],
    [{ region: 'us-east' }, false],
    [{ capabilities: { supports_fp16: true }, hardware_profile: { ram_gb: 128 } }, true], // namespaced
    [{ hardware_profile: { ram_gb: 512 } }, false],
    [{ gpu_count: '2' }, false], // a number as a string is not a number
    [{ gpu_count: null }, true],
    [{ constructor: true }, false], // never read from the prototype
    [{ __proto__: { x: 1 } } as object, true],
  ])('%j → %s', (requirements, expected) => {
    expect(meetsRequirements(requirements, prover)).toBe(expected);
  });

  it('anything but an object is unsatisfiable; nothing at all asks for nothing', () => {
    expect(meetsRequirements(['gpu'], prover)).toBe(false);
    expect(meetsRequirements('gpu', prover)).toBe(false);
    expect(meetsRequirements(null, prover)).toBe(true);
    expect(meetsRequirements(undefined, prover)).toBe(true);
  });

  it('a prover without hardware or capabilities meets only empty requirements', () => {
    const bare: ProverAttributes = { region: null, hardwareProfile: {}, capabilities: {} };
    expect(meetsRequirements({}, bare)).toBe(true);
    expect(meetsRequirements({ gpu_count: 0 }, bare)).toBe(false);
    expect(meetsRequirements({ region: 'eu-west' }, bare)).toBe(false);
  });

  it('meetsRequirement treats numbers, strings and arrays as documented', () => {
    expect(meetsRequirement(1, 1)).toBe(true);
    expect(meetsRequirement(1, 0.5)).toBe(false);
    expect(meetsRequirement([1, 2], [2, 1, 3])).toBe(true);
    expect(meetsRequirement([{ a: 1 }], [{ a: 1 }])).toBe(false); // only scalars in arrays
    expect(meetsRequirement(Symbol.for('x') as unknown, 'x')).toBe(false);
  });
});
