import { getMetadataStorage, IsInt, type MetadataStorage } from 'class-validator';
import { DependencyInternalsError } from './check';
import {
  checkClassValidatorInternals,
  groupByPropertyName,
  validationMetadatasOf,
  validatorConstraintsOf,
} from './class-validator';

class Sample {
  @IsInt()
  count!: number;
}

describe('class-validator internals', () => {
  it('holds for the installed class-validator', () => {
    expect(() => checkClassValidatorInternals()).not.toThrow();
  });

  it('refuses a metadata store that lost a method, naming class-validator and its version', () => {
    const real = getMetadataStorage();
    const storage = {
      getTargetValidationMetadatas: real.getTargetValidationMetadatas.bind(real),
      getTargetValidatorConstraints: real.getTargetValidatorConstraints.bind(real),
    } as unknown as MetadataStorage;
    let thrown: unknown;
    try {
      checkClassValidatorInternals(storage);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DependencyInternalsError);
    expect((thrown as Error).message).toMatch(
      /^class-validator \d+\.\d+\.\d+ lacks .*\(MetadataStorage#groupByPropertyName\)/,
    );
  });

  it('refuses rules whose shape changed', () => {
    const storage = {
      getTargetValidationMetadatas: () => [{ type: 'customValidation', name: 'isString' }, { type: 'x' }],
      getTargetValidatorConstraints: () => [],
      groupByPropertyName: () => ({}),
    } as unknown as MetadataStorage;
    expect(() => checkClassValidatorInternals(storage)).toThrow(/ValidationMetadata of a rule/);
  });

  it("reads a class's rules, their constraints and their grouping", () => {
    const rules = validationMetadatasOf(Sample);
    expect(rules.map((rule) => [rule.propertyName, rule.name])).toEqual([['count', 'isInt']]);
    expect(validatorConstraintsOf(rules[0])[0].instance.validate(3, undefined as never)).toBe(true);
    expect(Object.keys(groupByPropertyName(rules))).toEqual(['count']);
  });
});
