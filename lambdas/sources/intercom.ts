import { z } from 'zod';
import { parseJsonBody } from './json-body.js';
import { type PrefixedBodyHmacScheme, verifyPrefixedBodyHmac } from './schemes/prefixed-body-hmac.js';
import { defineSource, type Normalization } from './source.js';
import { firstAccountId, idText, isoFromUnixSeconds, SurveyBatch, shapeProblem } from './survey-event.js';

/**
 * Intercom conversation ratings (docs/sources/surveys.md#intercom): `conversation.rating.added` and
 * `conversation.rating.changed` carry the conversation, whose `conversation_rating.rating` is Intercom's 1–5 CSAT.
 * Signed with `X-Hub-Signature: sha1=<hex>` over the raw body with the app's client secret; no timestamp is signed,
 * so there is no replay window.
 */
const SCHEME: PrefixedBodyHmacScheme = { header: 'x-hub-signature', algorithm: 'sha1', encoding: 'hex' };

const RATING_TOPICS = new Set(['conversation.rating.added', 'conversation.rating.changed']);

const ACCOUNT_SOURCES = ['company_id', 'contact_external_id', 'contact_id'] as const;
type AccountSource = (typeof ACCOUNT_SOURCES)[number];

/** Intercom's conversation rating is "between 1 and 5" (intercom-node ConversationRating). */
const INTERCOM_RATING_SCALE = { min: 1, max: 5 } as const;

export const intercomOptionsSchema = z
  .object({
    account_id_from: z
      .array(z.enum(ACCOUNT_SOURCES))
      .min(1)
      .default(['company_id', 'contact_external_id'])
      .describe('Where the account id comes from, first present wins.'),
  })
  .strict();
export type IntercomOptions = z.infer<typeof intercomOptionsSchema>;

const anyId = z.union([z.string(), z.number()]).nullish();
const contactReference = z.object({ id: anyId, external_id: anyId }).nullish();

const notificationSchema = z.object({
  type: z.literal('notification_event'),
  id: z.string().nullish(),
  topic: z.string(),
  created_at: z.number().nullish(),
  data: z.object({ item: z.unknown() }).nullish(),
});

const ratedConversationSchema = z.object({
  id: anyId,
  company_id: anyId,
  contacts: z.object({ contacts: z.array(contactReference).nullish() }).nullish(),
  conversation_rating: z
    .object({
      rating: z.number().nullish(),
      remark: z.string().nullish(),
      created_at: z.number().nullish(),
      updated_at: z.number().nullish(),
      contact: contactReference,
    })
    .nullish(),
});

export const intercomSource = defineSource<IntercomOptions>({
  name: 'intercom',
  title: 'Intercom (conversation ratings)',
  contentTypes: ['application/json'],
  archivedHeaders: [SCHEME.header, 'user-agent'],
  optionsSchema: intercomOptionsSchema,
  verify: (request, secrets) => verifyPrefixedBodyHmac(request, secrets, SCHEME),
  normalize(body, context): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const notification = notificationSchema.safeParse(parsed.value);
    if (!notification.success) return shapeProblem('Intercom', notification.error);
    const { id: notificationId, topic, created_at: notifiedAt, data } = notification.data;
    const batch = new SurveyBatch();
    // The notification id stays the same across Intercom's retries: it names the delivery.
    const deliveryId = notificationId ?? undefined;
    if (!RATING_TOPICS.has(topic)) {
      batch.ignore(); // ping, contact.*, conversation.user.replied …
      return batch.result(deliveryId);
    }
    const conversation = ratedConversationSchema.safeParse(data?.item);
    if (!conversation.success) {
      return shapeProblem('Intercom conversation', conversation.error);
    }
    const item = conversation.data;
    const rating = item.conversation_rating;
    const conversationId = idText(item.id);
    if (conversationId === undefined) {
      batch.fail('data.item.id', 'a rated conversation needs its id');
      return batch.result(deliveryId);
    }
    if (rating?.rating === null || rating?.rating === undefined) {
      batch.ignore(); // the rating was removed or not given
      return batch.result(deliveryId);
    }
    const contact = rating.contact ?? item.contacts?.contacts?.[0] ?? undefined;
    const accountId = firstAccountId<AccountSource>(context.options.account_id_from, {
      company_id: item.company_id,
      contact_external_id: contact?.external_id,
      contact_id: contact?.id,
    });
    if (accountId === undefined) {
      batch.ignore(); // a lead with no company: kept in the raw archive for a replay with other options
      return batch.result(deliveryId);
    }
    const occurredAt =
      isoFromUnixSeconds(rating.updated_at) ??
      isoFromUnixSeconds(rating.created_at) ??
      isoFromUnixSeconds(notifiedAt) ??
      context.receivedAt.toISOString();
    // One rating per conversation: added and changed share the id, so a changed rating replaces, not adds.
    batch.add(
      {
        id: `conversation-${conversationId}-csat`,
        occurredAt,
        accountId,
        survey: 'csat',
        score: rating.rating,
        scaleMin: INTERCOM_RATING_SCALE.min,
        scaleMax: INTERCOM_RATING_SCALE.max,
        respondentId: idText(contact?.id),
        comment: rating.remark ?? undefined,
        touchpoint: 'conversation',
      },
      'data.item.conversation_rating',
    );
    return batch.result(deliveryId);
  },
});
