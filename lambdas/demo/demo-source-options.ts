import { HUBSPOT_ACCOUNT_ID_TEMPLATE, HUBSPOT_ATTRIBUTE_PROPERTIES } from './hubspot-payloads.js';
import { STRIPE_ACCOUNT_METADATA_KEY } from './stripe-payloads.js';
import { TYPEFORM_CES_FIELD_REF, TYPEFORM_COMMENT_FIELD_REF } from './survey-payloads.js';

/**
 * The mapping config (cs-pulse.config.json) that makes one account id out of five vendors' ids: Stripe reads it from
 * subscription metadata, HubSpot builds it from the company id, and the survey tools carry it as a person property,
 * a hidden field and the organization's external id.
 */
export const DEMO_SOURCE_OPTIONS = {
  sources: {
    stripe: { account_id_metadata_key: STRIPE_ACCOUNT_METADATA_KEY },
    hubspot: {
      plan_property: 'plan',
      attribute_properties: [...HUBSPOT_ATTRIBUTE_PROPERTIES],
      account_id_template: HUBSPOT_ACCOUNT_ID_TEMPLATE,
    },
    delighted: { account_properties: ['account_id'] },
    typeform: {
      fields: { [TYPEFORM_CES_FIELD_REF]: { survey: 'ces', scale_min: 1, scale_max: 7 } },
      account_hidden_field: 'account_id',
      respondent_hidden_field: 'user_id',
      comment_field: TYPEFORM_COMMENT_FIELD_REF,
    },
    zendesk: { account_id_from: ['organization_external_id'] },
  },
} as const;
