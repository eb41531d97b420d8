import { z } from 'zod';
import { canonicalEventSchema, MAX_EVENTS_PER_BATCH } from '../domain/canonical-events.js';
import { fieldErrorsOf } from '../http/problem.js';
import { parseJsonBody } from './json-body.js';
import { STANDARD_WEBHOOKS_HEADERS, verifyStandardWebhooks } from './schemes/standard-webhooks.js';
import { defineSource, type Normalization } from './source.js';

const batchSchema = z
  .object({ events: z.array(canonicalEventSchema).min(1).max(MAX_EVENTS_PER_BATCH) })
  .strict();

/** cs-pulse's own format (docs/generic-webhook.md), signed with Standard Webhooks. */
export const genericSource = defineSource({
  name: 'generic',
  title: 'Generic (Standard Webhooks)',
  contentTypes: ['application/json'],
  archivedHeaders: [...STANDARD_WEBHOOKS_HEADERS, 'user-agent'],
  verify: (request, secrets) => verifyStandardWebhooks(request, secrets),
  normalize(body): Normalization {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return parsed;
    const value = parsed.value;
    // Dispatch on the shape first, so a sender gets the errors of the form it meant rather than of a union.
    const isBatch = typeof value === 'object' && value !== null && !Array.isArray(value) && 'events' in value;
    const result = isBatch ? batchSchema.safeParse(value) : canonicalEventSchema.safeParse(value);
    if (!result.success) {
      return {
        ok: false,
        status: 422,
        detail: isBatch ? 'the batch has invalid events' : 'the event is invalid',
        errors: fieldErrorsOf(result.error),
      };
    }
    const events = 'events' in result.data ? result.data.events : [result.data];
    return { ok: true, events, ignored: 0 };
  },
});
