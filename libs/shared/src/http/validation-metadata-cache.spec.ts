import 'reflect-metadata';
import { IsInt, IsString, ValidateNested, validateSync } from 'class-validator';
import { plainToInstance, Type } from 'class-transformer';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Inner {
  @IsInt()
  n!: number;
}

class Outer {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Inner)
  inner!: Inner;
}

class Child extends Outer {
  @IsString()
  extra!: string;
}

const failing = (cls: new () => object, plain: object) =>
  validateSync(plainToInstance(cls, plain), { forbidUnknownValues: true })
    .flatMap((e) => [e.property, ...(e.children ?? []).map((c) => `${e.property}.${c.property}`)])
    .sort();

describe('validation metadata cache', () => {
  beforeAll(() => cacheValidationMetadata());

  it('gives the same rules as class-validator computes, for classes, nested classes and subclasses', () => {
    for (let i = 0; i < 3; i++) {
      expect(failing(Outer, { name: 1, inner: { n: 'x' } })).toEqual(['inner', 'inner.n', 'name']);
      expect(failing(Outer, { name: 'a', inner: { n: 1 } })).toEqual([]);
      expect(failing(Child, { name: 'a', inner: { n: 1 }, extra: 2 })).toEqual(['extra']);
      expect(failing(Child, { name: 2, inner: { n: 1 }, extra: 'e' })).toEqual(['name']);
    }
  });

  it('a rule registered after a class was validated counts from then on', () => {
    class Late {
      @IsString()
      a!: string;
      b!: unknown;
    }
    expect(failing(Late, { a: 'x', b: 'not an int' })).toEqual([]);
    IsInt()(Late.prototype, 'b');
    expect(failing(Late, { a: 'x', b: 'not an int' })).toEqual(['b']);
  });
});
