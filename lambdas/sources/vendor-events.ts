import { z } from 'zod';
import { type CanonicalEvent, canonicalEventSchema } from '../domain/canonical-events.js';
import { fieldErrorsOf } from '../http/problem.js';
import type { Normalization } from './source.js';

/**
 * Helpers for sources that map a vendor's own event onto canonical events: parsing the vendor's fields with zod, and
 * checking what comes out against the canonical schema, so a strange but authentic payload is a 422 with field
 * errors rather than a crash or a bad row.
 */

/** Unix seconds within what a JavaScript Date can hold and print (up to the year 9999). */
export const unixSeconds = z.number().int().min(0).max(253_402_300_799);

/** A vendor's RFC 3339 date-time, normalized to `toISOString()` form (Paddle sends up to nanoseconds). */
export const vendorDateTime = z.iso
  .datetime({ offset: true })
  .refine((text) => !Number.isNaN(Date.parse(text)), 'is not a real date')
  .transform((text) => new Date(text).toISOString());

/** A decimal number as text, as vendors send precise amounts: `"1999"`, `"0.125"`. */
export const decimalString = z
  .string()
  .regex(/^\d{1,20}(\.\d{1,20})?$/, 'must be a non-negative decimal number');

export function isoFromUnixSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** A payload that is JSON but not the vendor's shape: 422 with every failing field. */
export function invalidPayload(
  detail: string,
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): Normalization {
  return { ok: false, status: 422, detail, errors: fieldErrorsOf(error, prefix) };
}

/** An authentic vendor event that cs-pulse does not map: acknowledged and counted as ignored. */
export function ignoredEvent(deliveryId: string): Normalization {
  return { ok: true, events: [], ignored: 1, deliveryId };
}

/** The events one vendor event maps to, each checked against the canonical schema before it reaches the lake. */
export function mappedEvents(events: readonly CanonicalEvent[], deliveryId: string): Normalization {
  const checked: CanonicalEvent[] = [];
  for (const event of events) {
    const result = canonicalEventSchema.safeParse(event);
    if (!result.success) {
      return {
        ok: false,
        status: 422,
        detail: `the ${event.type} event this payload maps to is invalid`,
        errors: fieldErrorsOf(result.error),
      };
    }
    checked.push(result.data);
  }
  return { ok: true, events: checked, ignored: 0, deliveryId };
}

/** An identifier found in vendor metadata: a non-empty string, or a number written out. */
export function identifierFrom(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A key of a JSON object, only when the object itself holds it (never an inherited property). */
export function ownValue(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  return Object.hasOwn(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}
