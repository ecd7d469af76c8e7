import { getMetadataStorage } from 'class-validator';
import { requirementsProblem } from '@tally/services';
import { CapabilitiesDto, HardwareProfileDto } from './prover-profile.dto';

/**
 * A job may ask only for what a prover can register. The requirement rules live below the
 * provers lib (in the services lib), so this checks that they keep up with the prover's own
 * limits: every range end and enum value a prover may have can be asked for, nothing past it.
 */
describe('prover profile limits and job requirements agree', () => {
  const constraints = (dto: new () => object) => {
    const byField = new Map<string, Map<string, unknown[]>>();
    for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
      if (!byField.has(m.propertyName)) byField.set(m.propertyName, new Map());
      byField.get(m.propertyName)!.set(m.name ?? m.type, m.constraints ?? []);
    }
    return byField;
  };

  it.each([
    ['hardware_profile', HardwareProfileDto, 7],
    ['capabilities', CapabilitiesDto, 1],
  ] as const)('%s: range ends and enum values', (group, dto, fields) => {
    let checked = 0;
    for (const [field, rules] of constraints(dto)) {
      const ask = (value: unknown) => requirementsProblem({ [group]: { [field]: value } });
      const max = rules.get('max')?.[0];
      if (typeof max === 'number') {
        expect(ask(max)).toBeNull();
        expect(ask(max + 1)).not.toBeNull();
        if (rules.has('isInt')) expect(ask(1.5)).not.toBeNull();
        checked++;
      }
      const values = rules.get('isIn')?.[0];
      if (Array.isArray(values)) {
        for (const v of values) expect(ask(v)).toBeNull();
        expect(ask('floppy')).not.toBeNull();
        checked++;
      }
    }
    expect(checked).toBe(fields);
  });

  it('a zk feature is one of ZkAccelerationDto fields; kernels follow the kernel pattern', () => {
    for (const feature of ['groth16', 'plonk', 'stark'])
      expect(requirementsProblem({ zk_acceleration: [feature] })).toBeNull();
    expect(requirementsProblem({ zk_acceleration: ['msm'] })).not.toBeNull();
    expect(requirementsProblem({ supported_kernels: ['msm', 'a.b:c+d_-'] })).toBeNull();
    expect(requirementsProblem({ supported_kernels: ['a b'] })).not.toBeNull();
  });
});
