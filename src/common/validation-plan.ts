import {
  ValidationTypes,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import {
  groupByPropertyName,
  validationMetadatasOf,
  validatorConstraintsOf,
  type ValidationMetadata,
} from '../lib/internals/class-validator';

/**
 * class-validator's rules for one class, looked up and grouped once.
 *
 * On every call class-validator walks its whole metadata store for the class, regroups it by
 * property, filters each property's rules four times and builds a ValidationError per property,
 * also when nothing fails (docs/decisions/0003-validation-plan.md). A plan
 * runs the same rule objects, with the same arguments, in the same order, and says only whether
 * every one of them passed synchronously. When one did not, class-validator runs as before and
 * builds the errors, so what a client sees on a failure comes from class-validator alone.
 */
interface PropertyPlan {
  name: string;
  /** IsOptional and ValidateIf: when one answers false, the property's rules are skipped. */
  conditions: ((object: object, value: unknown) => boolean)[];
  rules: RulePlan[];
}

interface RulePlan {
  metadata: ValidationMetadata;
  constraints: ValidatorConstraintInterface[];
}

export interface ValidationPlan {
  properties: PropertyPlan[];
  /** Own keys allowed under `whitelist`: the properties that have any metadata. */
  allowed: Set<string>;
}

/** A validated class, as class-validator's metadata store keys it. */
type Target = abstract new (...args: never[]) => object;

/** Metadata kinds a plan reproduces exactly; any other kind leaves the class to class-validator. */
const PLANNED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
]);

/** Options that change which rules run or when; with any of them set, class-validator decides. */
const UNPLANNED_OPTIONS: (keyof ValidatorOptions)[] = [
  'groups',
  'always',
  'strictGroups',
  'skipUndefinedProperties',
  'skipNullProperties',
  'skipMissingProperties',
];

/**
 * The plan for a class, or undefined when class-validator must validate it itself: no rules
 * (`forbidUnknownValues` answers those), or a nested, promise or `each` rule.
 */
export function compileValidationPlan(target: Target): ValidationPlan | undefined {
  let hasAsync = false;
  const constraintsOf = (metadata: ValidationMetadata): ValidatorConstraintInterface[] => {
    const found = validatorConstraintsOf(metadata);
    hasAsync ||= found.some((constraint) => constraint.async);
    return found.map((constraint) => constraint.instance);
  };
  const metadatas = validationMetadatasOf(target);
  if (metadatas.length === 0) return undefined;
  if (metadatas.some((metadata) => !PLANNED.has(metadata.type) || metadata.each)) return undefined;
  const grouped = groupByPropertyName(metadatas);
  const properties = Object.keys(grouped).map((name): PropertyPlan => {
    const own = grouped[name];
    const rules = (type: string): RulePlan[] =>
      own
        .filter((metadata) => metadata.type === type)
        .map((metadata) => ({ metadata, constraints: constraintsOf(metadata) }));
    return {
      name,
      conditions: own
        .filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION)
        .map((metadata) => metadata.constraints[0] as PropertyPlan['conditions'][number]),
      // class-validator runs IsDefined first, then the rest, each group in declaration order.
      rules: [...rules(ValidationTypes.IS_DEFINED), ...rules(ValidationTypes.CUSTOM_VALIDATION)],
    };
  });
  // Planned, an async rule would run twice when it fails (here, then in class-validator).
  if (hasAsync) return undefined;
  return { properties, allowed: new Set(properties.map((property) => property.name)) };
}

/**
 * True when class-validator, given this object and these options, would find no error; false
 * when it might find one (it then has to run). Never true for a value class-validator refuses.
 */
export function passesPlan(plan: ValidationPlan, object: object, options: ValidatorOptions = {}): boolean {
  for (const option of UNPLANNED_OPTIONS) if (options[option] !== undefined && options[option] !== false) return false;
  const record = object as Record<string, unknown>;
  if (options.whitelist) {
    for (const key of Object.keys(record)) if (!plan.allowed.has(key)) return false;
  }
  // One arguments object, refilled for each rule: the rules are synchronous (async ones are never
  // planned), so none can read it after the next rule's turn. class-validator passes the
  // constructor's name, or undefined where there is none.
  const args: ValidationArguments = {
    targetName: (object.constructor as Target | undefined)?.name as string,
    property: '',
    object,
    value: undefined,
    constraints: [],
  };
  const properties = plan.properties;
  for (let p = 0; p < properties.length; p++) {
    const property = properties[p];
    const value = record[property.name];
    if (!allHold(property.conditions, object, value)) continue;
    const rules = property.rules;
    for (let r = 0; r < rules.length; r++) {
      const { metadata, constraints } = rules[r];
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      args.property = metadata.propertyName;
      args.value = value;
      args.constraints = metadata.constraints;
      for (let c = 0; c < constraints.length; c++) {
        // A promise is an async rule: class-validator awaits it.
        if (constraints[c].validate(value, args) !== true) return false;
      }
    }
  }
  return true;
}

function allHold(conditions: PropertyPlan['conditions'], object: object, value: unknown): boolean {
  for (let i = 0; i < conditions.length; i++) if (!conditions[i](object, value)) return false;
  return true;
}

/** Plans by class, compiled on first use (every decorator has run by then). */
export class ValidationPlans {
  private readonly plans = new WeakMap<Target, ValidationPlan | null>();

  /** True only when class-validator would find no error in `object` under `options`. */
  passes(object: object, options?: ValidatorOptions): boolean {
    const target = object.constructor as Target | undefined;
    if (typeof target !== 'function') return false;
    let plan = this.plans.get(target);
    if (plan === undefined) {
      plan = compileValidationPlan(target) ?? null;
      this.plans.set(target, plan);
    }
    return plan !== null && passesPlan(plan, object, options);
  }
}
