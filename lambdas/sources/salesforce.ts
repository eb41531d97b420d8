import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type CanonicalEvent, canonicalEventSchema } from '../domain/canonical-events.js';
import { type FieldError, fieldErrorsOf } from '../http/problem.js';
import {
  OUTBOUND_MESSAGE_ACK,
  type OutboundNotification,
  parseOutboundMessage,
  verifySalesforceOrganization,
} from './schemes/salesforce-outbound-message.js';
import { defineSource, type Normalization } from './source.js';

const RESERVED_ATTRIBUTE_KEY = 'plan';

export const salesforceOptionsSchema = z
  .object({
    sobject_type: z
      .string()
      .min(1)
      .default('Account')
      .describe('The sObject type mapped to accounts; notifications of any other type are ignored.'),
    account_id_field: z
      .string()
      .min(1)
      .default('Id')
      .describe(
        'Field that holds the account id (an external id field such as Customer_Id__c, or the record Id).',
      ),
    name_field: z.string().min(1).default('Name').describe('Field that holds the account name.'),
    plan_field: z.string().min(1).default('Plan__c').describe('Field that holds the plan.'),
    attribute_fields: z
      .array(z.string().min(1).max(128))
      .default(['Industry', 'BillingCountry', 'Type'])
      .describe('Fields kept as segment attributes, each under its own field name.'),
    timestamp_field: z
      .string()
      .min(1)
      .default('LastModifiedDate')
      .describe('Date-time field used as occurred_at; without it in a message, the time it was received.'),
  })
  .strict()
  .superRefine((options, ctx) => {
    options.attribute_fields.forEach((field, index) => {
      if (field === RESERVED_ATTRIBUTE_KEY || field === options.plan_field || field === options.name_field) {
        ctx.addIssue({
          code: 'custom',
          path: ['attribute_fields', index],
          message: `"${field}" is the plan or the name (or the reserved key "plan"), not an attribute`,
        });
      }
    });
  });

export type SalesforceOptions = z.infer<typeof salesforceOptionsSchema>;

/**
 * Salesforce Outbound Messages (SOAP 1.1, sent by a Flow or workflow rule): each notification of the configured
 * sObject type (Account) becomes `account.updated`, its Notification Id the event id. The configured secrets are
 * the allowed OrganizationIds (docs/sources/crm.md); success is answered with the SOAP acknowledgement.
 */
export const salesforceSource = defineSource<SalesforceOptions>({
  name: 'salesforce',
  title: 'Salesforce (Outbound Messages)',
  contentTypes: ['text/xml'],
  archivedHeaders: ['soapaction', 'user-agent'],
  optionsSchema: salesforceOptionsSchema,
  verify: (request, allowedOrganizationIds) => verifySalesforceOrganization(request, allowedOrganizationIds),
  normalize(body, { options, receivedAt }): Normalization {
    const parsed = parseOutboundMessage(body);
    if (!parsed.ok) return parsed;
    const { notifications, organizationId } = parsed.message;
    const events: CanonicalEvent[] = [];
    const errors: FieldError[] = [];
    let ignored = 0;
    notifications.forEach((notification, index) => {
      if (notification.objectType !== undefined && notification.objectType !== options.sobject_type) {
        ignored += 1;
        return;
      }
      const event = canonicalEventSchema.safeParse(accountUpdated(notification, options, receivedAt));
      if (event.success) events.push(event.data);
      else
        errors.push(
          ...fieldErrorsOf(event.error, ['notifications', 'Notification', index]).map((error) => ({
            ...error,
            message: `${error.message} (${describeField(error.path, options)})`,
          })),
        );
    });
    if (errors.length > 0) {
      return { ok: false, status: 422, detail: 'notifications with invalid fields', errors };
    }
    // Salesforce retries the same notifications, so a redelivery lands on the same lake objects.
    const deliveryId = `notifications:${createHash('sha256')
      .update([organizationId, ...notifications.map((notification) => notification.id)].join('\n'))
      .digest('hex')}`;
    return { ok: true, events, ignored, deliveryId };
  },
  acknowledge: () => OUTBOUND_MESSAGE_ACK,
});

function accountUpdated(notification: OutboundNotification, options: SalesforceOptions, receivedAt: Date) {
  const { fields } = notification;
  const present = (name: string): string | undefined => {
    const value = fields[name];
    return value === null || value === undefined ? undefined : value;
  };
  const attributes: Record<string, string> = {};
  for (const field of options.attribute_fields) {
    const value = present(field);
    if (value !== undefined) attributes[field] = value;
  }
  const name = present(options.name_field);
  // An empty plan has no canonical form (a plan is never empty): left out, like a field not sent.
  const plan = present(options.plan_field) || undefined;
  return {
    id: notification.id,
    type: 'account.updated',
    occurred_at: present(options.timestamp_field) ?? receivedAt.toISOString(),
    account_id: present(options.account_id_field) ?? '',
    data: {
      ...(name !== undefined ? { name } : {}),
      ...(plan !== undefined ? { plan } : {}),
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    },
  };
}

/** Names the Salesforce field behind a canonical path, so a 422 says which field of the message to fix. */
function describeField(path: string, options: SalesforceOptions): string {
  if (path.endsWith('.account_id')) return `from the field ${options.account_id_field}`;
  if (path.endsWith('.occurred_at')) return `from the field ${options.timestamp_field}`;
  if (path.endsWith('.data.name')) return `from the field ${options.name_field}`;
  if (path.endsWith('.data.plan')) return `from the field ${options.plan_field}`;
  if (path.endsWith('.id')) return 'the Notification Id';
  return 'from the sObject';
}
