import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type CanonicalEvent, canonicalEventSchema } from '../domain/canonical-events.js';
import { type FieldError, fieldErrorsOf } from '../http/problem.js';
import { parseJsonBody } from './json-body.js';
import {
  HUBSPOT_SIGNATURE_VERSION_HEADER,
  HUBSPOT_TIMESTAMP_HEADER,
  verifyHubSpotSignature,
} from './schemes/hubspot-signature.js';
import { defineSource, type Normalization } from './source.js';

/** HubSpot's object type id for companies in the generic `object.*` subscriptions. */
const COMPANY_OBJECT_TYPE_ID = '0-2';

/** The canonical attribute key `plan` is reserved for `data.plan`. */
const RESERVED_ATTRIBUTE_KEY = 'plan';

export const hubspotOptionsSchema = z
  .object({
    name_property: z
      .string()
      .min(1)
      .default('name')
      .describe('Company property that holds the account name.'),
    plan_property: z
      .string()
      .min(1)
      .default('plan')
      .describe(
        'Company property that holds the plan (HubSpot has no standard one; name your custom property).',
      ),
    attribute_properties: z
      .array(z.string().min(1).max(128))
      .default(['industry', 'country', 'lifecyclestage'])
      .describe('Company properties kept as segment attributes, each under its own property name.'),
    account_id_template: z
      .string()
      .regex(/\{objectId\}/, 'must contain {objectId}')
      .max(128)
      .default('{objectId}')
      .describe('How the account id is built from a notification: {objectId}, optionally with {portalId}.'),
  })
  .strict()
  .superRefine((options, ctx) => {
    options.attribute_properties.forEach((property, index) => {
      if (property === RESERVED_ATTRIBUTE_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: ['attribute_properties', index],
          message: '"plan" is reserved for the plan: set plan_property instead',
        });
      }
      if (property === options.plan_property || property === options.name_property) {
        ctx.addIssue({
          code: 'custom',
          path: ['attribute_properties', index],
          message: `"${property}" is already mapped as the ${property === options.plan_property ? 'plan' : 'name'}`,
        });
      }
    });
  });

export type HubSpotOptions = z.infer<typeof hubspotOptionsSchema>;

/** Only the field that says what a notification is; every other field is checked once it is one we map. */
const notificationEnvelopeSchema = z.looseObject({
  subscriptionType: z.string().optional(),
  /** HubSpot's older documentation samples say `eventType` where live payloads say `subscriptionType`. */
  eventType: z.string().optional(),
  objectTypeId: z.string().optional(),
});

const numericId = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d{1,30}$/, 'must be a numeric id'),
]);

/**
 * HubSpot sends object ids as JSON numbers. Past 2^53 a number would silently lose digits and name another
 * account, so such an object id is refused rather than misfiled (ids in the other fields only need to be stable).
 */
const objectId = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER, 'is beyond 2^53 and would lose digits'),
  z.string().regex(/^\d{1,30}$/, 'must be a numeric id'),
]);

const companyNotificationSchema = z.looseObject({
  eventId: numericId,
  subscriptionId: numericId,
  portalId: numericId,
  objectId,
  occurredAt: z
    .number()
    .int()
    .positive()
    .max(8.64e15, 'is not a time in milliseconds')
    .describe('Unix time in milliseconds.'),
  propertyName: z.string().min(1).max(256).optional(),
  propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});

type CompanyNotification = z.infer<typeof companyNotificationSchema>;

type Kind = 'creation' | 'propertyChange';

/** Which company notification this is, or undefined for one cs-pulse does not map. */
function companyKind(notification: z.infer<typeof notificationEnvelopeSchema>): Kind | undefined {
  const type = notification.subscriptionType ?? notification.eventType;
  switch (type) {
    case 'company.creation':
      return 'creation';
    case 'company.propertyChange':
      return 'propertyChange';
    case 'object.creation':
      return notification.objectTypeId === COMPANY_OBJECT_TYPE_ID ? 'creation' : undefined;
    case 'object.propertyChange':
      return notification.objectTypeId === COMPANY_OBJECT_TYPE_ID ? 'propertyChange' : undefined;
    default:
      return undefined;
  }
}

/**
 * The canonical event id of a notification. HubSpot says `eventId` alone "is not guaranteed to be unique", so it
 * is combined with what tells one change from another: the portal (a public app serves many), the subscription,
 * the object, when it happened and which property changed. `attemptNumber` is left out on purpose: it is the only
 * field a retry changes, and a retry must count once. `propertyValue` is left out too: a change is identified by
 * what, where and when, not by its value.
 */
export function hubspotEventId(notification: Readonly<Record<string, unknown>>): string {
  const parts = ['portalId', 'subscriptionId', 'eventId', 'objectId', 'occurredAt', 'propertyName'].map(
    (field) => scalarText(notification[field]),
  );
  const id = parts.join(':');
  // Canonical ids are at most 256 characters; only an absurdly long property name gets there.
  return id.length <= 256 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

/**
 * HubSpot CRM webhooks (Webhooks API, app subscriptions): a JSON array of up to 100 notifications, signed with the
 * app's client secret. Company creation and company property changes become `account.updated`; every other
 * notification is acknowledged and counted as ignored (docs/sources/crm.md).
 */
export const hubspotSource = defineSource<HubSpotOptions>({
  name: 'hubspot',
  title: 'HubSpot (CRM webhooks)',
  contentTypes: ['application/json'],
  archivedHeaders: [HUBSPOT_TIMESTAMP_HEADER, HUBSPOT_SIGNATURE_VERSION_HEADER, 'user-agent'],
  optionsSchema: hubspotOptionsSchema,
  verify: (request, secrets) => verifyHubSpotSignature(request, secrets),
  normalize(body, { options }): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const batch = z.array(notificationEnvelopeSchema).safeParse(parsed.value);
    if (!batch.success) {
      return {
        ok: false,
        status: 422,
        detail: 'HubSpot sends a JSON array of notification objects',
        errors: fieldErrorsOf(batch.error).slice(0, 20),
      };
    }

    const events: CanonicalEvent[] = [];
    const errors: FieldError[] = [];
    let ignored = 0;
    batch.data.forEach((envelope, index) => {
      const kind = companyKind(envelope);
      if (!kind) {
        ignored += 1;
        return;
      }
      const notification = companyNotificationSchema.safeParse(envelope);
      if (!notification.success) {
        errors.push(...fieldErrorsOf(notification.error, [index]));
        return;
      }
      const data = accountData(kind, notification.data, options);
      if (!data) {
        ignored += 1;
        return;
      }
      const event = canonicalEventSchema.safeParse({
        id: hubspotEventId(notification.data),
        type: 'account.updated',
        occurred_at: new Date(notification.data.occurredAt).toISOString(),
        account_id: options.account_id_template
          .replaceAll('{objectId}', String(notification.data.objectId))
          .replaceAll('{portalId}', String(notification.data.portalId)),
        data,
      });
      if (event.success) events.push(event.data);
      else errors.push(...fieldErrorsOf(event.error, [index]));
    });
    if (errors.length > 0) {
      return { ok: false, status: 422, detail: 'company notifications with invalid fields', errors };
    }
    // A retried batch differs from the first delivery in attemptNumber only, so the delivery id comes from the
    // notifications' own ids: a retry lands on the same lake objects instead of beside them.
    const deliveryId = `batch:${createHash('sha256')
      .update(batch.data.map((notification) => hubspotEventId(notification)).join('\n'))
      .digest('hex')}`;
    return { ok: true, events, ignored, deliveryId };
  },
});

/** The account fields a company notification sets, or undefined when it changes a property cs-pulse does not map. */
function accountData(
  kind: Kind,
  notification: CompanyNotification,
  options: HubSpotOptions,
): Record<string, unknown> | undefined {
  // A creation carries no properties: it records that the account exists, from when. Its properties follow as
  // separate propertyChange notifications when the app subscribes to them.
  if (kind === 'creation') return {};
  const property = notification.propertyName;
  if (property === undefined) return undefined;
  const value = notification.propertyValue === null ? '' : String(notification.propertyValue ?? '');
  if (property === options.name_property) return { name: value };
  if (property === options.plan_property) {
    // A cleared plan has no canonical form (a plan is never empty): it is skipped rather than invented.
    return value === '' ? undefined : { plan: value };
  }
  if (options.attribute_properties.includes(property)) return { attributes: { [property]: value } };
  return undefined;
}
