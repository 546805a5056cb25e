import { getMetadataStorage, IsOptional, IsString, ValidationTypes, type MetadataStorage } from 'class-validator';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { assertInternals, installedVersion, isFunction } from './check';

export type { ValidationMetadata };

/** A validated class, as class-validator's metadata store keys it. */
type Target = abstract new (...args: never[]) => object;

/** The rules of `target`: the same call, with the same arguments, class-validator makes with no groups set. */
export function validationMetadatasOf(target: Target): ValidationMetadata[] {
  return getMetadataStorage().getTargetValidationMetadatas(target, undefined as unknown as string, false, false);
}

/** The constraint classes (with their instances) behind one rule. */
export function validatorConstraintsOf(metadata: ValidationMetadata): ConstraintMetadata[] {
  return getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
}

/** Rules by property name, grouped as class-validator groups them. */
export function groupByPropertyName(metadatas: ValidationMetadata[]): Record<string, ValidationMetadata[]> {
  return getMetadataStorage().groupByPropertyName(metadatas);
}

/** Never validated: its rules show the shape of what the store holds. */
class Probe {
  @IsOptional()
  @IsString()
  probe?: string;
}

export function checkClassValidatorInternals(storage: MetadataStorage = getMetadataStorage()): void {
  const rules = (): ValidationMetadata[] =>
    storage.getTargetValidationMetadatas(Probe, undefined as unknown as string, false, false);
  const ofType = (type: string) => rules().find((metadata) => metadata.type === type);
  assertInternals('class-validator', () => installedVersion('class-validator'), 'class-validator.ts', {
    'MetadataStorage#getTargetValidationMetadatas': () => rules().length === 2,
    'ValidationMetadata of a rule (type, propertyName, constraintCls, constraints, each)': () => {
      const rule = ofType(ValidationTypes.CUSTOM_VALIDATION);
      return (
        rule?.propertyName === 'probe' &&
        isFunction(rule.constraintCls) &&
        'constraints' in rule &&
        'each' in rule &&
        !rule.each
      );
    },
    'ValidationMetadata of IsOptional (its condition in constraints[0])': () =>
      isFunction(ofType(ValidationTypes.CONDITIONAL_VALIDATION)?.constraints?.[0]),
    'MetadataStorage#getTargetValidatorConstraints (instance.validate, async)': () => {
      const found = storage.getTargetValidatorConstraints(ofType(ValidationTypes.CUSTOM_VALIDATION)!.constraintCls);
      return found.length === 1 && typeof found[0].instance?.validate === 'function' && found[0].async === false;
    },
    'MetadataStorage#groupByPropertyName': () => storage.groupByPropertyName(rules()).probe?.length === 2,
  });
}
