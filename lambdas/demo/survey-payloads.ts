import { digest, numericDigest } from './delivery.js';
import type { SimulatedAccount, SurveyAnswer } from './simulated-events.js';

/**
 * Survey answers in the survey tools' own formats: NPS from Delighted (the account id as a person property), CES from
 * a Typeform form (the account id as a hidden field) and CSAT as Zendesk satisfaction ratings (the account id as the
 * organization's external id), each as docs/sources/surveys.md sets them up.
 */

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);
const rfc3339 = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function delightedEventOf(answer: SurveyAnswer, account: SimulatedAccount): Record<string, unknown> {
  const responseId = String(numericDigest(answer.id, 9));
  return {
    event_type: 'survey_response.created',
    event_id: digest(`delighted:${answer.id}`, 64),
    event_data: {
      id: responseId,
      person: {
        id: answer.respondent.id,
        email: answer.respondent.email,
        name: answer.respondent.name,
        created_at: seconds(account.signedUpAt),
      },
      survey_type: 'nps',
      score: answer.score,
      comment: answer.comment ?? null,
      permalink: `https://app.delighted.com/r/${digest(responseId, 32)}`,
      created_at: seconds(answer.at),
      updated_at: null,
      person_properties: { account_id: account.id, company: account.name, plan: account.plan },
      notes: [],
      tags: [],
      additional_answers: [],
    },
  };
}

/** The CES form: one 1–7 opinion scale ("effort") and an optional "why" text question. */
export const TYPEFORM_CES_FIELD_REF = 'effort';
export const TYPEFORM_COMMENT_FIELD_REF = 'why';
const TYPEFORM_FORMS = {
  onboarding: 'Onb0rdCE',
  'support-ticket': 'SuPp0rtC',
  relationship: 'ReLat10n',
} as const;
const EFFORT_FIELD = { id: 'Qm8vT2nLs4Ue', ref: TYPEFORM_CES_FIELD_REF, type: 'opinion_scale' };
const WHY_FIELD = { id: 'Hc5bN7rVd0Fa', ref: TYPEFORM_COMMENT_FIELD_REF, type: 'long_text' };

export function typeformEventOf(answer: SurveyAnswer, account: SimulatedAccount): Record<string, unknown> {
  const formId = TYPEFORM_FORMS[answer.touchpoint];
  const token = digest(`typeform:${answer.id}`, 26);
  return {
    event_id: digest(`typeform-event:${answer.id}`, 26).toUpperCase(),
    event_type: 'form_response',
    form_response: {
      form_id: formId,
      token,
      landed_at: rfc3339(new Date(answer.at.getTime() - 95_000)),
      submitted_at: rfc3339(answer.at),
      hidden: { account_id: account.id, user_id: answer.respondent.id },
      definition: {
        id: formId,
        title: answer.touchpoint === 'onboarding' ? 'How was getting started?' : 'How did we do?',
        fields: [
          {
            ...EFFORT_FIELD,
            title: 'The company made it easy for me to handle my issue.',
            properties: { steps: 7, start_at_one: true },
          },
          { ...WHY_FIELD, title: 'What is the main reason for your score?', properties: {} },
        ],
      },
      answers: [
        { type: 'number', number: answer.score, field: EFFORT_FIELD },
        ...(answer.comment !== undefined ? [{ type: 'text', text: answer.comment, field: WHY_FIELD }] : []),
      ],
    },
  };
}

/**
 * The satisfaction trigger body docs/sources/surveys.md recommends. Zendesk rates good or bad, so a simulated 4–5 of
 * 5 is sent as good and 1–3 as bad: CSAT% is the same, the lake holds 0–1 scores instead of 1–5.
 */
export function zendeskBodyOf(answer: SurveyAnswer, account: SimulatedAccount): Record<string, unknown> {
  return {
    cs_pulse: 'zendesk-satisfaction/1',
    ticket: {
      id: String(answer.ticketId ?? numericDigest(answer.id, 7)),
      updated_at: rfc3339(answer.at),
      organization: { id: String(360_000_000 + account.number), external_id: account.id },
      requester: { id: answer.respondent.id, external_id: '' },
      custom_fields: {},
    },
    satisfaction: { rating: answer.score >= 4 ? 'good' : 'bad', comment: answer.comment ?? '' },
  };
}
