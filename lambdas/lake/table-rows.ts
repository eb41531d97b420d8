import { type CanonicalEvent, DEFAULT_SURVEY_SCALES } from '../domain/canonical-events.js';
import type { StoredObject } from '../ports/object-store.js';
import { type LakeTable, lakeTimestamp, partitionDate, tableObjectKey } from './layout.js';

/**
 * Canonical events flattened into the normalized lake tables (docs/lake.md lists every column). Rows are flat JSON
 * with scalar columns only, so Athena's JSON SerDe and DuckDB's read_json read them the same way without nested types.
 */
interface RowBase {
  source: string;
  event_id: string;
  account_id: string;
  occurred_at: string;
  received_at: string;
}

export interface AccountRow extends RowBase {
  name: string | null;
  plan: string | null;
}

export interface AccountAttributeRow extends RowBase {
  /** `plan` or an attribute key: the segment dimensions. */
  attribute_key: string;
  attribute_value: string;
}

export interface SubscriptionRow extends RowBase {
  subscription_id: string;
  event_type: 'started' | 'changed' | 'canceled';
  /** Monthly recurring revenue after the event, major units; null for a cancellation. */
  mrr: number | null;
  currency: string | null;
  /** When service ends, for a cancellation. */
  effective_at: string | null;
}

export interface SurveyResponseRow extends RowBase {
  survey: 'nps' | 'ces' | 'csat';
  score: number;
  scale_min: number;
  scale_max: number;
  respondent_id: string | null;
  comment: string | null;
  touchpoint: string | null;
}

export interface TableRows {
  accounts: AccountRow[];
  account_attributes: AccountAttributeRow[];
  subscriptions: SubscriptionRow[];
  survey_responses: SurveyResponseRow[];
}

export function rowsOf(source: string, event: CanonicalEvent, receivedAt: Date, into: TableRows): void {
  // Every row lists its columns in full rather than spreading a shared base: on Node 20, `{ ...base, more }` took
  // microseconds per row, more than all the rest of ingest's row building. Column order is the JSON's, so it stays.
  const event_id = event.id;
  const account_id = event.account_id;
  const occurred_at = lakeTimestamp(new Date(event.occurred_at));
  const received_at = lakeTimestamp(receivedAt);
  switch (event.type) {
    case 'account.updated': {
      const { name, plan, attributes } = event.data;
      into.accounts.push({
        source,
        event_id,
        account_id,
        occurred_at,
        received_at,
        name: name ?? null,
        plan: plan ?? null,
      });
      // The plan is a segment attribute too: segments read every attribute, the plan first.
      const segmentAttributes = Object.entries(attributes ?? {});
      if (plan !== undefined) segmentAttributes.unshift(['plan', plan]);
      for (const [key, value] of segmentAttributes) {
        into.account_attributes.push({
          source,
          event_id,
          account_id,
          occurred_at,
          received_at,
          attribute_key: key,
          attribute_value: value,
        });
      }
      return;
    }
    case 'subscription.started':
    case 'subscription.changed':
      into.subscriptions.push({
        source,
        event_id,
        account_id,
        occurred_at,
        received_at,
        subscription_id: event.data.subscription_id ?? event.account_id,
        event_type: event.type === 'subscription.started' ? 'started' : 'changed',
        mrr: event.data.mrr,
        currency: event.data.currency,
        effective_at: null,
      });
      return;
    case 'subscription.canceled':
      into.subscriptions.push({
        source,
        event_id,
        account_id,
        occurred_at,
        received_at,
        subscription_id: event.data.subscription_id ?? event.account_id,
        event_type: 'canceled',
        mrr: null,
        currency: null,
        effective_at: lakeTimestamp(new Date(event.data.effective_at ?? event.occurred_at)),
      });
      return;
    case 'survey.responded': {
      const scale = DEFAULT_SURVEY_SCALES[event.data.survey];
      into.survey_responses.push({
        source,
        event_id,
        account_id,
        occurred_at,
        received_at,
        survey: event.data.survey,
        score: event.data.score,
        scale_min: event.data.scale_min ?? scale.min,
        scale_max: event.data.scale_max ?? scale.max,
        respondent_id: event.data.respondent_id ?? null,
        comment: event.data.comment ?? null,
        touchpoint: event.data.touchpoint ?? null,
      });
      return;
    }
  }
}

/**
 * A row's partition is the date of its event, except a backdated cancellation (effective before it was sent), which
 * goes to its effective date: the next incremental aggregation then recomputes from the period it changes. A given
 * event always lands in the same partition, so redeliveries still overwrite each other.
 */
function partitionTimeOf(row: RowBase & { effective_at?: string | null }): string {
  return row.effective_at && row.effective_at < row.occurred_at ? row.effective_at : row.occurred_at;
}

/**
 * The table files one delivery produces: one JSON-lines object per (table, event date). Their keys derive from the
 * delivery key, so a redelivery or a replay rewrites the same objects instead of adding copies.
 */
export function tableObjectsOf(
  source: string,
  key: string,
  events: readonly CanonicalEvent[],
  receivedAt: Date,
): StoredObject[] {
  const rows: TableRows = { accounts: [], account_attributes: [], subscriptions: [], survey_responses: [] };
  for (const event of events) rowsOf(source, event, receivedAt, rows);
  const files = new Map<string, string[]>();
  for (const table of Object.keys(rows) as LakeTable[]) {
    for (const row of rows[table]) {
      const dt = partitionDate(new Date(`${partitionTimeOf(row).replace(' ', 'T')}Z`));
      const objectKey = tableObjectKey(table, dt, source, key);
      const lines = files.get(objectKey) ?? [];
      if (lines.length === 0) files.set(objectKey, lines);
      lines.push(JSON.stringify(row));
    }
  }
  return [...files.entries()].map(([objectKey, lines]) => ({
    key: objectKey,
    body: `${lines.join('\n')}\n`,
    contentType: 'application/x-ndjson',
  }));
}
