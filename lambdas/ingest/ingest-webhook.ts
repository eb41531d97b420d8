import { createHash } from 'node:crypto';
import { HttpProblem } from '../http/problem.js';
import { deliveryKey, partitionOfKey, rawObjectKey } from '../lake/layout.js';
import { encodeBody, type RawRecord } from '../lake/raw-record.js';
import { tableObjectsOf } from '../lake/table-rows.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { SecretProvider } from '../ports/secrets.js';
import { secretVariableName } from '../ports/secrets.js';
import { findSource } from '../sources/registry.js';
import type { WebhookRequest, WebhookSource } from '../sources/source.js';

export interface IngestDependencies {
  readonly store: ObjectStore;
  readonly secrets: SecretProvider;
  /** Largest body accepted, in bytes. @default 1 MiB */
  readonly maxBodyBytes: number;
  /** Each source's mapping options (docs/sources.md). */
  readonly sourceOptions: (source: string) => Readonly<Record<string, unknown>>;
}

export interface IngestOutcome {
  /** Events taken into the lake (a redelivered event is taken again and still counts once downstream). */
  readonly accepted: number;
  /** Vendor events acknowledged but not mapped. */
  readonly ignored: number;
  readonly delivery_id: string;
}

/** What ingest did with an accepted delivery: the answer for its sender, and what an operator may need to know. */
export interface IngestResult {
  readonly outcome: IngestOutcome;
  /** The earliest `dt` partition the delivery's rows went into; undefined when it had no events. */
  readonly earliestPartition: string | undefined;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Takes one webhook delivery: authenticate, archive the raw body, normalize it into the lake tables. Resolves only
 * once everything is durably stored; throws an HttpProblem for every request it refuses. An authentic body that is
 * malformed or invalid is archived as quarantined before the refusal, so nothing a sender signed is lost.
 */
export async function ingestWebhook(
  sourceName: string,
  request: WebhookRequest,
  deps: IngestDependencies,
): Promise<IngestResult> {
  const source = findSource(sourceName);
  if (!source)
    throw new HttpProblem(404, 'unknown-source', `there is no webhook source named "${sourceName}"`);
  if (request.method !== 'POST') {
    throw new HttpProblem(
      405,
      'method-not-allowed',
      `webhooks are delivered with POST, not ${request.method}`,
      {
        headers: { allow: 'POST' },
      },
    );
  }
  if (request.rawBody.length > deps.maxBodyBytes) {
    throw new HttpProblem(
      413,
      'body-too-large',
      `the body is ${request.rawBody.length} bytes; the limit is ${deps.maxBodyBytes}`,
    );
  }

  const secrets = await deps.secrets.secretsFor(source.name);
  if (secrets.length === 0) {
    // The operator's omission, not the sender's: a 503 makes the vendor retry once the secret is set.
    throw new HttpProblem(
      503,
      'source-not-configured',
      `no signing secret is configured for "${source.name}"; set ${secretVariableName(source.name)}`,
    );
  }
  const verification = source.verify(request, secrets);
  if (!verification.ok) throw new HttpProblem(401, 'invalid-signature', verification.reason);

  const contentType = mediaTypeOf(request.headers['content-type']);
  if (!source.contentTypes.includes(contentType)) {
    const detail = `content type "${contentType || '(none)'}" is not accepted; send ${source.contentTypes.join(' or ')}`;
    await quarantine(source, request, verification.deliveryId, 415, detail, deps.store);
    throw new HttpProblem(415, 'unsupported-media-type', detail);
  }

  const normalized = source.normalize(request.rawBody, {
    headers: archivedHeaders(source, request),
    receivedAt: request.receivedAt,
    options: deps.sourceOptions(source.name),
  });
  if (!normalized.ok) {
    await quarantine(
      source,
      request,
      verification.deliveryId,
      normalized.status,
      normalized.detail,
      deps.store,
    );
    throw new HttpProblem(
      normalized.status,
      normalized.status === 400 ? 'malformed-body' : 'invalid-events',
      normalized.detail,
      normalized.errors ? { errors: normalized.errors } : {},
    );
  }

  const deliveryId = verification.deliveryId ?? normalized.deliveryId ?? bodyDigest(request.rawBody);
  const key = deliveryKey(source.name, deliveryId);
  const tableObjects = tableObjectsOf(source.name, key, normalized.events, request.receivedAt);
  // One write holds the raw body and its table rows: they become durable together or not at all.
  await deps.store.putObjects([
    rawObject(source, request, deliveryId, key, 'accepted', null),
    ...tableObjects,
  ]);
  // ISO dates sort as text: the first is the earliest.
  const [earliestPartition] = tableObjects.map((object) => partitionOfKey(object.key) ?? '').sort();
  return {
    outcome: { accepted: normalized.events.length, ignored: normalized.ignored, delivery_id: deliveryId },
    earliestPartition: earliestPartition || undefined,
  };
}

async function quarantine(
  source: WebhookSource,
  request: WebhookRequest,
  verifiedDeliveryId: string | undefined,
  status: number,
  detail: string,
  store: ObjectStore,
): Promise<void> {
  const deliveryId = verifiedDeliveryId ?? bodyDigest(request.rawBody);
  const key = deliveryKey(source.name, deliveryId);
  await store.putObjects([rawObject(source, request, deliveryId, key, 'quarantined', { status, detail })]);
}

function rawObject(
  source: WebhookSource,
  request: WebhookRequest,
  deliveryId: string,
  key: string,
  status: RawRecord['status'],
  problem: RawRecord['problem'],
) {
  const record: RawRecord = {
    format: 1,
    source: source.name,
    delivery_id: deliveryId,
    received_at: request.receivedAt.toISOString(),
    status,
    problem,
    headers: archivedHeaders(source, request),
    ...encodeBody(request.rawBody),
  };
  return {
    key: rawObjectKey(source.name, request.receivedAt, key),
    body: `${JSON.stringify(record)}\n`,
    contentType: 'application/json',
  };
}

/** The headers kept with a raw body: the source's own list plus the content type. Never credentials. */
function archivedHeaders(source: WebhookSource, request: WebhookRequest): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ['content-type', ...source.archivedHeaders]) {
    const value = request.headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function bodyDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
