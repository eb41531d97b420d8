import { z } from 'zod';
import { type CanonicalEvent, canonicalEventSchema, type SurveyType } from '../domain/canonical-events.js';
import { type FieldError, fieldErrorsOf } from '../http/problem.js';
import type { Normalization } from './source.js';

/**
 * What the survey and support sources share: building a `survey.responded` event from a vendor's answer (checked
 * against the canonical schema, so a vendor score outside its scale is a 422 rather than a bad row), reading vendor
 * timestamps, and picking an account id from an ordered list of candidates.
 */
export interface SurveyAnswer {
  readonly id: string;
  readonly occurredAt: string;
  readonly accountId: string;
  readonly survey: SurveyType;
  readonly score: number;
  readonly scaleMin?: number | undefined;
  readonly scaleMax?: number | undefined;
  readonly respondentId?: string | undefined;
  readonly comment?: string | undefined;
  readonly touchpoint?: string | undefined;
}

export const surveyTypeSchema = z.enum(['nps', 'ces', 'csat']);

/** A survey type with an optional explicit scale, as the sources' options accept it. */
export const surveyMappingSchema = z.union([
  surveyTypeSchema,
  z
    .object({
      survey: surveyTypeSchema,
      scale_min: z.number().finite().optional(),
      scale_max: z.number().finite().optional(),
    })
    .strict(),
]);
export type SurveyMapping = z.infer<typeof surveyMappingSchema>;

export function mappingSurvey(mapping: SurveyMapping): {
  survey: SurveyType;
  scaleMin?: number | undefined;
  scaleMax?: number | undefined;
} {
  return typeof mapping === 'string'
    ? { survey: mapping }
    : { survey: mapping.survey, scaleMin: mapping.scale_min, scaleMax: mapping.scale_max };
}

/** Collects the events of one body; any invalid event makes the whole body a 422, so nothing is half taken. */
export class SurveyBatch {
  private readonly events: CanonicalEvent[] = [];
  private readonly errors: FieldError[] = [];
  private ignoredCount = 0;

  add(answer: SurveyAnswer, path = ''): void {
    const data: Record<string, unknown> = { survey: answer.survey, score: answer.score };
    if (answer.scaleMin !== undefined) data.scale_min = answer.scaleMin;
    if (answer.scaleMax !== undefined) data.scale_max = answer.scaleMax;
    if (answer.respondentId) data.respondent_id = answer.respondentId;
    if (answer.comment) data.comment = answer.comment;
    if (answer.touchpoint) data.touchpoint = answer.touchpoint;
    const result = canonicalEventSchema.safeParse({
      id: answer.id,
      type: 'survey.responded',
      occurred_at: answer.occurredAt,
      account_id: answer.accountId,
      data,
    });
    if (result.success) this.events.push(result.data);
    else {
      const prefix = path ? `${path} → ` : '';
      this.errors.push(...fieldErrorsOf(result.error).map((e) => ({ ...e, path: `${prefix}${e.path}` })));
    }
  }

  fail(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  ignore(count = 1): void {
    this.ignoredCount += count;
  }

  result(deliveryId?: string): Normalization {
    if (this.errors.length > 0) {
      return {
        ok: false,
        status: 422,
        detail: 'the survey response does not map onto valid events',
        errors: this.errors,
      };
    }
    return {
      ok: true,
      events: this.events,
      ignored: this.ignoredCount,
      ...(deliveryId ? { deliveryId } : {}),
    };
  }
}

/** The 422 for a body that is JSON but not the vendor's shape. */
export function shapeProblem(vendor: string, error: z.ZodError): Normalization {
  return {
    ok: false,
    status: 422,
    detail: `the body is not a ${vendor} webhook of the expected shape`,
    errors: fieldErrorsOf(error),
  };
}

// Dates the lake can partition: after this, `new Date(...)` stops being a valid instant.
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** Unix seconds (Delighted, Intercom) as an ISO-8601 UTC string, or undefined when not a plausible instant. */
export function isoFromUnixSeconds(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return undefined;
  const ms = seconds * 1000;
  return ms <= LATEST_MS ? new Date(ms).toISOString() : undefined;
}

/** A vendor date-time string as an ISO-8601 UTC string, or undefined when it does not parse. */
export function isoFromDateText(text: unknown): string | undefined {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const ms = Date.parse(text.trim());
  return Number.isFinite(ms) && ms >= 0 && ms <= LATEST_MS ? new Date(ms).toISOString() : undefined;
}

/** A vendor id that may come as a number or a string; empty strings (an unset placeholder) count as absent. */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

/** An own property of a JSON object: never one inherited from Object.prototype (`constructor`, `__proto__`). */
export function ownValue(object: unknown, key: string): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** The first candidate, in the configured order, that yields an id. */
export function firstAccountId<Candidate extends string>(
  order: readonly Candidate[],
  candidates: Readonly<Record<Candidate, unknown>>,
): string | undefined {
  for (const name of order) {
    const id = idText(candidates[name]);
    if (id !== undefined) return id;
  }
  return undefined;
}
