import { z } from 'zod';
import { DEFAULT_SURVEY_SCALES, type SurveyType } from '../domain/canonical-events.js';
import { parseJsonBody } from './json-body.js';
import { type PrefixedBodyHmacScheme, verifyPrefixedBodyHmac } from './schemes/prefixed-body-hmac.js';
import { defineSource, type Normalization } from './source.js';
import {
  idText,
  isoFromDateText,
  mappingSurvey,
  ownValue,
  SurveyBatch,
  shapeProblem,
  surveyMappingSchema,
} from './survey-event.js';

/**
 * Typeform form responses (docs/sources/surveys.md#typeform). A form is free-form, so which question is the NPS,
 * CES or CSAT one, and which hidden field names the account, are options. Signed with `Typeform-Signature:
 * sha256=<base64>` over the raw body with the webhook's secret; no timestamp is signed.
 */
const SCHEME: PrefixedBodyHmacScheme = {
  header: 'typeform-signature',
  algorithm: 'sha256',
  encoding: 'base64',
};

export const typeformOptionsSchema = z
  .object({
    fields: z
      .record(z.string().min(1), surveyMappingSchema)
      .default({})
      .describe(
        'Field ref or id → survey ("nps", or { "survey": "ces", "scale_min": 1, "scale_max": 7 }). Empty: the first NPS question.',
      ),
    account_hidden_field: z.string().min(1).default('account_id'),
    respondent_hidden_field: z.string().min(1).default('user_id'),
    comment_field: z.string().min(1).optional().describe('Ref or id of a text question kept as the comment.'),
  })
  .strict();
export type TypeformOptions = z.infer<typeof typeformOptionsSchema>;

const fieldReference = z.object({
  id: z.string().nullish(),
  ref: z.string().nullish(),
  type: z.string().nullish(),
});

const formResponseSchema = z.object({
  event_id: z.string().nullish(),
  event_type: z.string(),
  form_response: z
    .object({
      form_id: z.string().nullish(),
      token: z.string().nullish(),
      submitted_at: z.string().nullish(),
      hidden: z.record(z.string(), z.unknown()).nullish(),
      definition: z
        .object({
          fields: z
            .array(
              fieldReference.extend({
                properties: z
                  .object({ steps: z.number().nullish(), start_at_one: z.boolean().nullish() })
                  .nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      answers: z
        .array(
          z.object({
            type: z.string().nullish(),
            number: z.number().nullish(),
            text: z.string().nullish(),
            field: fieldReference,
          }),
        )
        .nullish(),
    })
    .nullish(),
});
type FormResponse = NonNullable<z.infer<typeof formResponseSchema>['form_response']>;
type Answer = NonNullable<FormResponse['answers']>[number];
type FieldDefinition = NonNullable<NonNullable<FormResponse['definition']>['fields']>[number];

/**
 * The scale a question was asked on, from the form definition when the payload carries its properties: an opinion
 * scale runs from 0 (or 1 with start_at_one) over `steps` points, a rating from 1 to `steps`, an NPS question 0–10.
 */
function questionScale(definition: FieldDefinition | undefined, type: string | null | undefined) {
  const steps = definition?.properties?.steps ?? undefined;
  if (type === 'nps') return DEFAULT_SURVEY_SCALES.nps;
  if (type === 'rating') return { min: 1, max: steps ?? 5 };
  if (type === 'opinion_scale' && steps !== undefined) {
    const min = definition?.properties?.start_at_one ? 1 : 0;
    return { min, max: min + steps - 1 };
  }
  return undefined;
}

function matches(answer: Answer, key: string): boolean {
  return answer.field.ref === key || answer.field.id === key;
}

export const typeformSource = defineSource<TypeformOptions>({
  name: 'typeform',
  title: 'Typeform',
  contentTypes: ['application/json'],
  archivedHeaders: [SCHEME.header, 'user-agent'],
  optionsSchema: typeformOptionsSchema,
  verify: (request, secrets) => verifyPrefixedBodyHmac(request, secrets, SCHEME),
  normalize(body, context): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const shape = formResponseSchema.safeParse(parsed.value);
    if (!shape.success) return shapeProblem('Typeform', shape.error);
    const { event_id: eventId, event_type: eventType, form_response: response } = shape.data;
    const batch = new SurveyBatch();
    const deliveryId = eventId ?? undefined;
    if (eventType !== 'form_response') {
      batch.ignore(); // form_response_partial: an unfinished response is not a survey answer
      return batch.result(deliveryId);
    }
    if (!response) {
      batch.fail('form_response', 'a form_response event needs its form_response');
      return batch.result(deliveryId);
    }
    const options = context.options;
    const answers = (response.answers ?? []).filter(
      (answer) => answer.type === 'number' && typeof answer.number === 'number',
    );
    const definitions = response.definition?.fields ?? [];
    const definitionOf = (answer: Answer) =>
      definitions.find(
        (field) => field.id !== undefined && field.id !== null && field.id === answer.field.id,
      );

    const mapped: { answer: Answer; survey: SurveyType; scaleMin?: number; scaleMax?: number }[] = [];
    const configured = Object.entries(options.fields);
    if (configured.length > 0) {
      for (const answer of answers) {
        const entry = configured.find(([key]) => matches(answer, key));
        if (!entry) continue;
        const mapping = mappingSurvey(entry[1]);
        const scale = questionScale(definitionOf(answer), answer.field.type);
        mapped.push({
          answer,
          survey: mapping.survey,
          ...((mapping.scaleMin ?? scale?.min) !== undefined
            ? { scaleMin: mapping.scaleMin ?? scale?.min }
            : {}),
          ...((mapping.scaleMax ?? scale?.max) !== undefined
            ? { scaleMax: mapping.scaleMax ?? scale?.max }
            : {}),
        });
      }
    } else {
      // Default: the form's NPS question, or else its first opinion scale whose definition shows it runs 0–10. An
      // opinion scale of unknown length is not guessed at: a 1–5 question read as NPS would invent detractors.
      const nps =
        answers.find((answer) => answer.field.type === 'nps') ??
        answers.find((answer) => {
          if (answer.field.type !== 'opinion_scale') return false;
          const scale = questionScale(definitionOf(answer), 'opinion_scale');
          return scale?.min === 0 && scale.max === 10;
        });
      if (nps) mapped.push({ answer: nps, survey: 'nps', scaleMin: 0, scaleMax: 10 });
    }
    if (mapped.length === 0) {
      batch.ignore(); // a form with no mapped question: not a survey cs-pulse measures
      return batch.result(deliveryId);
    }
    const accountId = idText(ownValue(response.hidden, options.account_hidden_field));
    const token = idText(response.token);
    const occurredAt = isoFromDateText(response.submitted_at);
    if (token === undefined) batch.fail('form_response.token', 'a form response needs its token');
    if (occurredAt === undefined) {
      batch.fail('form_response.submitted_at', 'a form response needs a submitted_at date-time');
    }
    if (token === undefined || occurredAt === undefined) return batch.result(deliveryId);
    if (accountId === undefined) {
      batch.ignore(mapped.length); // no account hidden field: archived raw, replayable once the form passes it
      return batch.result(deliveryId);
    }
    const comment =
      options.comment_field === undefined
        ? undefined
        : (response.answers ?? []).find((answer) => matches(answer, options.comment_field!))?.text;
    for (const entry of mapped) {
      const fieldKey = entry.answer.field.ref ?? entry.answer.field.id ?? entry.survey;
      // The token names the response, so the same submission counts once however it is delivered.
      batch.add(
        {
          id: `${token}-${fieldKey}`,
          occurredAt,
          accountId,
          survey: entry.survey,
          score: entry.answer.number!,
          scaleMin: entry.scaleMin,
          scaleMax: entry.scaleMax,
          respondentId: idText(ownValue(response.hidden, options.respondent_hidden_field)),
          comment: comment ?? undefined,
          touchpoint: response.form_id ?? undefined,
        },
        `form_response.answers[field ${fieldKey}]`,
      );
    }
    return batch.result(deliveryId);
  },
});
