import { z } from 'zod';
import { DEFAULT_SURVEY_SCALES } from '../domain/canonical-events.js';
import { parseJsonBody } from './json-body.js';
import {
  verifyZendeskSignature,
  ZENDESK_SIGNATURE_HEADER,
  ZENDESK_TIMESTAMP_HEADER,
} from './schemes/zendesk-signature.js';
import { defineSource, type Normalization } from './source.js';
import {
  firstAccountId,
  idText,
  isoFromDateText,
  ownValue,
  SurveyBatch,
  shapeProblem,
} from './survey-event.js';

/**
 * Zendesk Support satisfaction ratings (docs/sources/surveys.md#zendesk). Ratings reach webhooks only through a
 * trigger whose JSON body the admin writes, so cs-pulse documents one body (the template below) and maps that.
 * Event-subscription deliveries (`zen:event-type:*`) are authenticated and acknowledged but carry no rating.
 *
 * Recommended trigger body (one trigger per rating with the literal "good" / "bad", because the
 * `{{satisfaction.current_rating}}` placeholder renders localized text):
 *
 *   { "cs_pulse": "zendesk-satisfaction/1",
 *     "ticket": { "id": "{{ticket.id}}", "updated_at": "{{ticket.updated_at_with_timestamp}}",
 *                 "organization": { "id": "{{ticket.organization.id}}", "external_id": "{{ticket.organization.external_id}}" },
 *                 "requester": { "id": "{{ticket.requester.id}}", "external_id": "{{ticket.requester.external_id}}" },
 *                 "custom_fields": { "<field id>": "{{ticket.ticket_field_<field id>}}" } },
 *     "satisfaction": { "rating": "good", "comment": "{{satisfaction.current_comment}}" } }
 */
const ACCOUNT_SOURCES = ['organization_external_id', 'organization_id', 'requester_external_id'] as const;
type AccountSource = (typeof ACCOUNT_SOURCES)[number];

const scaleSchema = z
  .object({ min: z.number().finite(), max: z.number().finite() })
  .strict()
  .refine((scale) => scale.min < scale.max, { message: 'min must be below max' });

export const zendeskOptionsSchema = z
  .object({
    account_id_from: z
      .array(z.enum(ACCOUNT_SOURCES))
      .min(1)
      .default(['organization_external_id', 'organization_id'])
      .describe('Where the account id comes from, first present wins.'),
    ces_field_id: z
      .string()
      .regex(/^\d+$/, 'a Zendesk ticket field id is a number')
      .optional()
      .describe('The ticket custom field that carries a CES score, as listed under ticket.custom_fields.'),
    ces_scale: scaleSchema.default(DEFAULT_SURVEY_SCALES.ces),
    numeric_csat_scale: scaleSchema
      .default(DEFAULT_SURVEY_SCALES.csat)
      .describe('Scale of a numeric rating (the newer CSAT survey); good/bad ratings use a 0–1 scale.'),
  })
  .strict();
export type ZendeskOptions = z.infer<typeof zendeskOptionsSchema>;

const placeholder = z.union([z.string(), z.number()]).nullish();

const triggerBodySchema = z.object({
  ticket: z.object({
    id: placeholder,
    updated_at: z.string().nullish(),
    organization: z.object({ id: placeholder, external_id: placeholder }).nullish(),
    requester: z.object({ id: placeholder, external_id: placeholder }).nullish(),
    custom_fields: z.record(z.string(), placeholder).nullish(),
  }),
  satisfaction: z.object({
    rating: z.union([z.string(), z.number()]).nullish(),
    comment: z.string().nullish(),
  }),
});

/** Good/bad on a two-point 0–1 scale: the mean is the share of good ratings, which is CSAT% as Zendesk reports it. */
const GOOD_BAD_SCALE = { min: 0, max: 1 } as const;

type Rating =
  | { kind: 'score'; score: number; min: number; max: number }
  | { kind: 'none' }
  | { kind: 'unknown' };

function ratingOf(
  value: string | number | null | undefined,
  numericScale: { min: number; max: number },
): Rating {
  if (value === null || value === undefined) return { kind: 'none' };
  if (typeof value === 'number') return { kind: 'score', score: value, ...numericScale };
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'offered' || text === 'unoffered') return { kind: 'none' };
  if (/^-?\d+(\.\d+)?$/.test(text)) return { kind: 'score', score: Number(text), ...numericScale };
  // The API's good / good_with_comment …, and the English rendering of the placeholder ("Good, I'm satisfied").
  if (/^good\b|^good_/.test(text)) return { kind: 'score', score: 1, ...GOOD_BAD_SCALE };
  if (/^bad\b|^bad_/.test(text)) return { kind: 'score', score: 0, ...GOOD_BAD_SCALE };
  return { kind: 'unknown' };
}

/** A CES ticket field: a number field, or a drop-down whose option tags end in the score (`ces_5`). */
function cesScoreOf(value: unknown): number | undefined {
  const text = idText(value);
  if (text === undefined) return undefined;
  const match = /^(?:.*[_-])?(-?\d+(?:\.\d+)?)$/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

export const zendeskSource = defineSource<ZendeskOptions>({
  name: 'zendesk',
  title: 'Zendesk Support (satisfaction ratings)',
  contentTypes: ['application/json'],
  archivedHeaders: [
    ZENDESK_SIGNATURE_HEADER,
    ZENDESK_TIMESTAMP_HEADER,
    'x-zendesk-webhook-id',
    'x-zendesk-webhook-invocation-id',
    'user-agent',
  ],
  optionsSchema: zendeskOptionsSchema,
  verify: (request, secrets) => verifyZendeskSignature(request, secrets),
  normalize(body, context): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const value = parsed.value;
    const batch = new SurveyBatch();
    const type = ownValue(value, 'type');
    if (typeof type === 'string' && type.startsWith('zen:event-type:')) {
      // An event subscription: none of the documented event types carries a satisfaction rating.
      batch.ignore();
      return batch.result();
    }
    if (ownValue(value, 'satisfaction') === undefined) {
      // Another trigger's body sent to this endpoint: authentic, not a rating.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return {
          ok: false,
          status: 422,
          detail: 'the body is not a Zendesk webhook body (expected a JSON object)',
        };
      }
      batch.ignore();
      return batch.result();
    }
    const shape = triggerBodySchema.safeParse(value);
    if (!shape.success) return shapeProblem('Zendesk satisfaction trigger', shape.error);
    const { ticket, satisfaction } = shape.data;
    const options = context.options;

    const ticketId = idText(ticket.id);
    if (ticketId === undefined) {
      batch.fail('ticket.id', 'a satisfaction body needs the ticket id ({{ticket.id}})');
      return batch.result();
    }
    const accountId = firstAccountId<AccountSource>(options.account_id_from, {
      organization_external_id: ticket.organization?.external_id,
      organization_id: ticket.organization?.id,
      requester_external_id: ticket.requester?.external_id,
    });
    const occurredAt =
      isoFromDateText(ticket.updated_at) ??
      isoFromDateText(context.headers[ZENDESK_TIMESTAMP_HEADER]) ??
      context.receivedAt.toISOString();
    if (ticket.updated_at && isoFromDateText(ticket.updated_at) === undefined) {
      batch.fail('ticket.updated_at', `"${ticket.updated_at}" is not a date-time`);
    }
    const respondentId = idText(ticket.requester?.id);

    const rating = ratingOf(satisfaction.rating, options.numeric_csat_scale);
    if (rating.kind === 'unknown') {
      batch.fail(
        'satisfaction.rating',
        `"${String(satisfaction.rating)}" is not a rating cs-pulse knows: send "good" or "bad" (see docs/sources/surveys.md)`,
      );
    }
    const answers: { survey: 'csat' | 'ces'; score: number; min: number; max: number; comment?: string }[] =
      [];
    if (rating.kind === 'score') {
      answers.push({
        survey: 'csat',
        score: rating.score,
        min: rating.min,
        max: rating.max,
        ...(satisfaction.comment ? { comment: satisfaction.comment } : {}),
      });
    }
    if (options.ces_field_id !== undefined) {
      const ces = cesScoreOf(ownValue(ticket.custom_fields, options.ces_field_id));
      if (ces !== undefined && Number.isNaN(ces)) {
        batch.fail(`ticket.custom_fields.${options.ces_field_id}`, 'the CES field does not hold a number');
      } else if (ces !== undefined) {
        answers.push({ survey: 'ces', score: ces, min: options.ces_scale.min, max: options.ces_scale.max });
      }
    }
    if (answers.length === 0) {
      batch.ignore(); // a trigger fired without a rating (offered, or the placeholder was empty)
      return batch.result();
    }
    if (accountId === undefined) {
      // Unattributable: acknowledged so Zendesk does not retry or trip its circuit breaker; the raw body stays in
      // the archive, so a replay after changing account_id_from picks it up.
      batch.ignore(answers.length);
      return batch.result();
    }
    for (const answer of answers) {
      // One rating per ticket: a changed rating keeps the id and replaces the earlier one downstream.
      batch.add(
        {
          id: `ticket-${ticketId}-${answer.survey}`,
          occurredAt,
          accountId,
          survey: answer.survey,
          score: answer.score,
          scaleMin: answer.min,
          scaleMax: answer.max,
          respondentId,
          comment: answer.comment,
          touchpoint: 'support-ticket',
        },
        answer.survey === 'csat' ? 'satisfaction.rating' : `ticket.custom_fields.${options.ces_field_id}`,
      );
    }
    return batch.result();
  },
});
