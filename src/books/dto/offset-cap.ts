import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';

/**
 * Offset pages end at this row: a deeper OFFSET reads and discards every row before it while
 * holding a pooled connection. Past it, keyset pages (`cursor`) stay fast at any depth.
 */
export const MAX_OFFSET_ROWS = 10_000;

/** page × limit ≤ MAX_OFFSET_ROWS, checked on `page` against the object's `limit`. */
export function IsWithinOffsetCap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWithinOffsetCap',
      validator: {
        validate: (page: unknown, args?: ValidationArguments) => {
          const limit = (args?.object as { limit?: unknown } | undefined)?.limit;
          if (typeof page !== 'number' || typeof limit !== 'number') return true;
          return page * limit <= MAX_OFFSET_ROWS;
        },
        defaultMessage: () =>
          `page × limit must not exceed ${MAX_OFFSET_ROWS}; to read further, use cursor=* and then meta.nextCursor`,
      },
    },
    options,
  );
}
