import { z } from 'zod';
import { DEFAULT_SURVEY_SCALES } from '../domain/canonical-events.js';
import { parseJsonBody } from './json-body.js';
import { type PrefixedBodyHmacScheme, verifyPrefixedBodyHmac } from './schemes/prefixed-body-hmac.js';
import { defineSource, type Normalization } from './source.js';
import {
  idText,
  isoFromUnixSeconds,
  mappingSurvey,
  ownValue,
  SurveyBatch,
  shapeProblem,
  surveyMappingSchema,
} from './survey-event.js';

/**
 * Delighted survey responses (docs/sources/surveys.md#delighted). `survey_response.created` fires with the score,
 * `survey_response.updated` whenever the score or comment changes; both carry the whole response, so both map to the
 * same event id (the response id) and the later one replaces the earlier downstream. Signed with
 * `X-Delighted-Webhook-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body keyed with the project's API key.
 */
const SCHEME: PrefixedBodyHmacScheme = {
  header: 'x-delighted-webhook-signature',
  algorithm: 'sha256',
  encoding: 'hex',
};

const RESPONSE_EVENTS = new Set(['survey_response.created', 'survey_response.updated']);

export const delightedOptionsSchema = z
  .object({
    survey_types: z
      .record(z.string().min(1), surveyMappingSchema)
      .default({
        nps: 'nps',
        csat: { survey: 'csat', scale_min: 1, scale_max: 5 },
        ces: { survey: 'ces', scale_min: 1, scale_max: 7 },
      })
      .describe('Delighted survey_type → cs-pulse survey and scale; other types are ignored.'),
    account_properties: z
      .array(z.string().min(1))
      .min(1)
      .default(['account_id', 'company_id'])
      .describe('Person properties that hold the account id, first present wins.'),
  })
  .strict();
export type DelightedOptions = z.infer<typeof delightedOptionsSchema>;

const webhookSchema = z.object({
  event_type: z.string(),
  event_id: z.string().nullish(),
  event_data: z
    .object({
      id: z.union([z.string(), z.number()]).nullish(),
      // The webhook sends the person object; the REST API sends only its id.
      person: z
        .union([z.string(), z.number(), z.object({ id: z.union([z.string(), z.number()]).nullish() })])
        .nullish(),
      survey_type: z.string().nullish(),
      score: z.number().nullish(),
      comment: z.string().nullish(),
      created_at: z.number().nullish(),
      updated_at: z.number().nullish(),
      person_properties: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
});

export const delightedSource = defineSource<DelightedOptions>({
  name: 'delighted',
  title: 'Delighted',
  contentTypes: ['application/json'],
  archivedHeaders: [SCHEME.header, 'user-agent'],
  optionsSchema: delightedOptionsSchema,
  verify: (request, secrets) => verifyPrefixedBodyHmac(request, secrets, SCHEME),
  normalize(body, context): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const shape = webhookSchema.safeParse(parsed.value);
    if (!shape.success) return shapeProblem('Delighted', shape.error);
    const { event_type: eventType, event_id: eventId, event_data: response } = shape.data;
    const batch = new SurveyBatch();
    // Delighted's event_id deduplicates redeliveries of one notification; each created/updated has its own.
    const deliveryId = eventId ?? undefined;
    if (!RESPONSE_EVENTS.has(eventType)) {
      batch.ignore(); // unsubscribe.created …
      return batch.result(deliveryId);
    }
    if (!response) {
      batch.fail('event_data', `a ${eventType} event needs its event_data`);
      return batch.result(deliveryId);
    }
    const responseId = idText(response.id);
    if (responseId === undefined) {
      batch.fail('event_data.id', 'a survey response needs its id');
      return batch.result(deliveryId);
    }
    const mapping = ownValue(context.options.survey_types, response.survey_type ?? '');
    if (mapping === undefined || response.score === null || response.score === undefined) {
      batch.ignore(); // a survey type cs-pulse does not measure (eNPS, PMF …), or no score yet
      return batch.result(deliveryId);
    }
    const target = mappingSurvey(mapping as z.infer<typeof surveyMappingSchema>);
    const accountId = context.options.account_properties
      .map((property) => idText(ownValue(response.person_properties, property)))
      .find((id) => id !== undefined);
    if (accountId === undefined) {
      batch.ignore(); // no account property: archived raw, replayable with other account_properties
      return batch.result(deliveryId);
    }
    const occurredAt = isoFromUnixSeconds(response.created_at);
    if (occurredAt === undefined) {
      batch.fail('event_data.created_at', 'a survey response needs created_at in Unix seconds');
      return batch.result(deliveryId);
    }
    const person = response.person;
    const respondentId = typeof person === 'object' && person !== null ? idText(person.id) : idText(person);
    batch.add(
      {
        id: `response-${responseId}`,
        occurredAt,
        accountId,
        survey: target.survey,
        score: response.score,
        scaleMin: target.scaleMin ?? DEFAULT_SURVEY_SCALES[target.survey].min,
        scaleMax: target.scaleMax ?? DEFAULT_SURVEY_SCALES[target.survey].max,
        respondentId,
        comment: response.comment ?? undefined,
      },
      'event_data',
    );
    return batch.result(deliveryId);
  },
});
