import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { CohortKind } from '../../queries/registry.js';
import type { CohortTable } from '../kpis/cohort-table.js';
import { type Grain, isRollingGrain, type KpiPoint, type Segment } from '../kpis/kpi-point.js';
import type { KpiStore, KpiSummary } from '../ports/kpi-store.js';
import { forEachBounded } from '../runtime/bounded-concurrency.js';

/**
 * The KPI store on the DynamoDB API (DynamoDB, or dynalite locally). Single-table design:
 *
 *   pk                                   sk              item
 *   kpi#<metric>#<grain>#<segment>       series          month and quarter: the whole series, one JSON string attribute
 *                                                        `points`; a series is one GetItem
 *   kpi#<metric>#<grain>#<segment>       <period start>  rolling grains: one point, one JSON string attribute `point`;
 *                                                        a series is one Query on pk between dates
 *   segments#<metric>#<grain>            <segment>       the segments a metric has points for
 *   summary#<grain>                      current         latest complete + current point of every metric, as one
 *                                                        JSON string attribute `summary_json`
 *   cohorts#<kind>                       <segment>       every cohort of a kind (logo, revenue) for a segment
 *   state                                aggregation     the aggregation watermark
 *   analysis#<name>                      <key>           one analysis document (gzipped JSON: curves outgrow 400 KB)
 *
 * <segment> is `all` or `<key>=<value>` with both parts URI-encoded, so no value can forge a separator.
 *
 * Every read-API call reads these items, so they are shaped for reading: JSON text in one attribute instead of a
 * typed attribute per field (marshalling those, in the SDK and in the store, was a quarter of a series call's CPU),
 * and a calendar series in one item, read with GetItem, instead of an item per period read with a Query (the Query's
 * expression parsing and item-by-item reading made it cost half again what a GetItem of the same points does). A
 * calendar series gains 12 points a year at most, about 4 KB; a rolling series gains one point a day, which one item
 * (400 KB at most) would outgrow within three years, so its points stay an item each.
 *
 * Before this layout a point was an item of one attribute per field, `summary` a map. The summary of either layout is
 * read. A calendar series is read from its `series` item, and the aggregation's next run (any mode: each run
 * rewrites every known segment of every metric) folds the old point items of a series into it and deletes them; until
 * that run a series without its item is read from those point items. Rolling grains read old point items as they
 * are; each write replaces them.
 */
export class DynamoDbKpiStore implements KpiStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }

  /** Creates the table when it does not exist (the local store; on AWS the stack owns the table). */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await this.client.send(
      new CreateTableCommand({
        TableName: this.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  }

  async replacePeriods(metric: string, grain: Grain, from: string, to: string, points: readonly KpiPoint[]) {
    const known = await this.segments(metric, grain);
    const produced = new Map<string, Segment | null>();
    for (const point of points) produced.set(segmentToken(point.segment), point.segment);
    const fresh = [...produced.entries()].filter(
      ([token]) => token !== 'all' && !known.some((s) => segmentToken(s) === token),
    );
    const segmentItems = fresh.map(([token, segment]) => ({
      PutRequest: {
        Item: {
          pk: `segments#${metric}#${grain}`,
          sk: token,
          segment_key: segment?.key,
          segment_value: segment?.value,
        },
      },
    }));
    if (!isRollingGrain(grain)) {
      const segments = new Map<string, Segment | null>([['all', null]]);
      for (const segment of known) segments.set(segmentToken(segment), segment);
      for (const [token, segment] of fresh) segments.set(token, segment);
      const requests: Record<string, unknown>[] = [...segmentItems];
      let deleted = 0;
      await forEachBounded([...segments.values()], REQUESTS_IN_FLIGHT, async (segment) => {
        const token = segmentToken(segment);
        const rewrite = await this.rewriteSeriesDocument(
          metric,
          grain,
          segment,
          from,
          to,
          points.filter((point) => segmentToken(point.segment) === token),
        );
        requests.push(...rewrite.requests);
        deleted += rewrite.deleted;
      });
      await this.batchWrite(requests);
      return { written: points.length, deleted };
    }

    const keep = new Set(
      points.map((point) => `${seriesKey(metric, grain, point.segment)}|${point.period_start}`),
    );
    const stale: { pk: string; sk: string }[] = [];
    await forEachBounded([null, ...known], REQUESTS_IN_FLIGHT, async (segment) => {
      const pk = seriesKey(metric, grain, segment);
      for (const item of await this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
        ProjectionExpression: 'pk, sk',
      })) {
        if (!keep.has(`${item.pk}|${item.sk}`)) stale.push({ pk: item.pk as string, sk: item.sk as string });
      }
    });
    await this.batchWrite([
      ...points.map((point) => ({ PutRequest: { Item: toItem(point) } })),
      ...segmentItems,
      ...stale.map((key) => ({ DeleteRequest: { Key: key } })),
    ]);
    return { written: points.length, deleted: stale.length };
  }

  /**
   * Makes the periods from..to of one calendar series exactly the given points: reads its `series` item, replaces
   * those periods and writes it back (or deletes it once empty), on the condition that nobody wrote it in between;
   * if someone did (two aggregation runs at once), it starts over from their version, so the two runs' writes apply
   * one after the other as they did when each point was its own item. Point items of the layout before are folded
   * in; the deletes of those are returned for the caller to batch.
   */
  private async rewriteSeriesDocument(
    metric: string,
    grain: Grain,
    segment: Segment | null,
    from: string,
    to: string,
    points: readonly KpiPoint[],
  ): Promise<{ requests: Record<string, unknown>[]; deleted: number }> {
    const pk = seriesKey(metric, grain, segment);
    const key = { pk, sk: SERIES_DOCUMENT };
    for (let attempt = 1; ; attempt += 1) {
      const document = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      // Point items of the layout before exist only until the first write of the series item deletes them, so only a
      // series without its item is searched for them. Period starts sort before `series`: this finds point items only.
      const pointItems = document.Item
        ? []
        : await this.queryAll({
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
            ExpressionAttributeValues: { ':pk': pk, ':first': '0000-01-01', ':last': '9999-12-31' },
            ConsistentRead: true,
          });
      const periods = new Map<string, StoredPoint>();
      for (const stored of storedPointsOf(document.Item)) periods.set(stored.period_start, stored);
      const requests: Record<string, unknown>[] = [];
      for (const item of pointItems) {
        const sk = item.sk as string;
        if (!periods.has(sk)) periods.set(sk, storedOf(fromItem(item, metric, grain, segment)));
        requests.push({ DeleteRequest: { Key: { pk, sk } } });
      }

      const recomputed = new Set(points.map((point) => point.period_start));
      let deleted = 0;
      for (const period of [...periods.keys()]) {
        if (period < from || period > to) continue;
        periods.delete(period);
        if (!recomputed.has(period)) deleted += 1;
      }
      for (const point of points) periods.set(point.period_start, storedOf(point));

      const revision = document.Item?.revision;
      const unchanged =
        typeof revision === 'number'
          ? {
              ConditionExpression: 'revision = :revision',
              ExpressionAttributeValues: { ':revision': revision },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' };
      try {
        if (periods.size > 0) {
          const ascending = [...periods.values()].sort((a, b) => (a.period_start < b.period_start ? -1 : 1));
          await this.documents.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                ...key,
                revision: (typeof revision === 'number' ? revision : 0) + 1,
                points: JSON.stringify(ascending),
              },
              ...unchanged,
            }),
          );
        } else if (document.Item) {
          await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: key, ...unchanged }));
        }
        return { requests, deleted };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_REWRITE_ATTEMPTS)
          throw error;
      }
    }
  }

  async series(
    metric: string,
    grain: Grain,
    segment: Segment | null,
    from: string,
    to: string,
  ): Promise<KpiPoint[]> {
    const pk = seriesKey(metric, grain, segment);
    const pointItems = async () => {
      const items = await this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
      });
      return items.map((item) => fromItem(item, metric, grain, segment));
    };
    if (isRollingGrain(grain)) return pointItems();
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: SERIES_DOCUMENT } }),
    );
    // No series item: a series with no point, or one stored before this layout that no aggregation run has folded
    // yet (just after an upgrade); its point items answer until then, at the price of a second request.
    if (!result.Item) return pointItems();
    const points: KpiPoint[] = [];
    for (const stored of storedPointsOf(result.Item)) {
      if (stored.period_start >= from && stored.period_start <= to) {
        points.push(pointOf(stored, metric, grain, segment));
      }
    }
    return points;
  }

  async segments(metric: string, grain: Grain): Promise<Segment[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `segments#${metric}#${grain}` },
    });
    return items.map((item) => ({ key: item.segment_key as string, value: item.segment_value as string }));
  }

  async putSummary(summary: KpiSummary): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `summary#${summary.grain}`, sk: 'current', summary_json: JSON.stringify(summary) },
      }),
    );
  }

  async summary(grain: Grain): Promise<KpiSummary | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `summary#${grain}`, sk: 'current' } }),
    );
    const item = result.Item;
    if (typeof item?.summary_json === 'string') return JSON.parse(item.summary_json) as KpiSummary;
    // The layout before summary_json: the summary as a map attribute.
    return item?.summary as KpiSummary | undefined;
  }

  async replaceCohorts(kind: CohortKind, tables: readonly CohortTable[]) {
    const pk = `cohorts#${kind}`;
    const produced = new Set(tables.map((table) => segmentToken(table.segment)));
    const stale = (
      await this.queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk',
      })
    ).filter((item) => !produced.has(item.sk as string));
    await this.batchWrite([
      ...tables.map((table) => ({
        PutRequest: {
          Item: {
            pk,
            sk: segmentToken(table.segment),
            kind,
            segment_key: table.segment?.key,
            segment_value: table.segment?.value,
            computed_at: table.computed_at,
            cohorts: table.cohorts,
          },
        },
      })),
      ...stale.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
    ]);
    return { written: tables.length, deleted: stale.length };
  }

  async cohorts(kind: CohortKind, segment: Segment | null): Promise<CohortTable | undefined> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `cohorts#${kind}`, sk: segmentToken(segment) },
      }),
    );
    const item = result.Item;
    if (!item) return undefined;
    return {
      kind,
      segment,
      computed_at: item.computed_at as string,
      cohorts: (item.cohorts ?? []) as CohortTable['cohorts'],
    };
  }

  async watermark(): Promise<Date | undefined> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: 'state', sk: 'aggregation' },
        ConsistentRead: true,
      }),
    );
    return typeof result.Item?.watermark === 'string' ? new Date(result.Item.watermark) : undefined;
  }

  async setWatermark(at: Date): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: 'state', sk: 'aggregation', watermark: at.toISOString() },
      }),
    );
  }

  async replaceAnalysis(analysis: string, documents: ReadonlyMap<string, unknown>): Promise<void> {
    const pk = `analysis#${analysis}`;
    const existing = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'pk, sk',
    });
    const keys = new Set([...documents.keys()].map((key) => encodeURIComponent(key)));
    await this.batchWrite([
      ...[...documents].map(([key, document]) => ({
        PutRequest: {
          Item: { pk, sk: encodeURIComponent(key), body: gzipSync(JSON.stringify(document)) },
        },
      })),
      ...existing
        .filter((item) => !keys.has(item.sk as string))
        .map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
    ]);
  }

  async analysis(analysis: string, key: string): Promise<unknown | undefined> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `analysis#${analysis}`, sk: encodeURIComponent(key) },
      }),
    );
    const body = result.Item?.body;
    return body instanceof Uint8Array ? JSON.parse(gunzipSync(body).toString('utf8')) : undefined;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * BatchWriteItem in chunks of 25, a few chunks in flight (no two requests of one call touch the same key, so their
   * order does not matter), retrying what DynamoDB hands back unprocessed with backoff.
   */
  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    const chunks: Record<string, unknown>[][] = [];
    for (let offset = 0; offset < requests.length; offset += 25)
      chunks.push(requests.slice(offset, offset + 25));
    await forEachBounded(chunks, REQUESTS_IN_FLIGHT, async (chunk) => {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed items');
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    });
  }
}

/** Read-modify-writes of one series item before giving up: another run wrote it in between this many times. */
const MAX_REWRITE_ATTEMPTS = 8;

/** Requests one store call keeps in flight: enough to overlap round trips, few enough not to trip throttling. */
const REQUESTS_IN_FLIGHT = 4;

function segmentToken(segment: Segment | null): string {
  return segment ? `${encodeURIComponent(segment.key)}=${encodeURIComponent(segment.value)}` : 'all';
}

function seriesKey(metric: string, grain: Grain, segment: Segment | null): string {
  return `kpi#${metric}#${grain}#${segmentToken(segment)}`;
}

/** The sort key of a calendar series' item, under the series' pk; period starts (digits) sort before it. */
const SERIES_DOCUMENT = 'series';

/** A point as a series item holds it: without what the key already says (metric, grain, segment). */
interface StoredPoint {
  readonly period_start: string;
  readonly value: number;
  readonly n: number;
  readonly ci95: readonly [number, number] | null;
  readonly components: Readonly<Record<string, number | null>>;
  readonly change: number | null;
  readonly change_significant: boolean | null;
  readonly low_sample: boolean;
  readonly complete: boolean;
  readonly computed_at: string;
}

function storedOf(point: KpiPoint): StoredPoint {
  return {
    period_start: point.period_start,
    value: point.value,
    n: point.n,
    ci95: point.ci95,
    components: point.components,
    change: point.change ?? null,
    change_significant: point.change_significant ?? null,
    low_sample: point.low_sample === true,
    complete: point.complete,
    computed_at: point.computed_at,
  };
}

function storedPointsOf(item: Record<string, unknown> | undefined): StoredPoint[] {
  return typeof item?.points === 'string' ? (JSON.parse(item.points) as StoredPoint[]) : [];
}

function pointOf(stored: StoredPoint, metric: string, grain: Grain, segment: Segment | null): KpiPoint {
  return {
    metric,
    grain,
    segment,
    period_start: stored.period_start,
    value: stored.value,
    n: stored.n,
    ci95: stored.ci95,
    components: stored.components,
    change: stored.change,
    change_significant: stored.change_significant,
    low_sample: stored.low_sample,
    complete: stored.complete,
    computed_at: stored.computed_at,
  };
}

/** A rolling grain's point item: its key and `point`, the point without its period start (the sort key says it). */
function toItem(point: KpiPoint): Record<string, unknown> {
  const { period_start: _periodStart, ...stored } = storedOf(point);
  return {
    pk: seriesKey(point.metric, point.grain, point.segment),
    sk: point.period_start,
    point: JSON.stringify(stored),
  };
}

/** A point item of a series read by its key: metric, grain and segment are the query's, the period its sort key. */
function fromItem(
  item: Record<string, unknown>,
  metric: string,
  grain: Grain,
  segment: Segment | null,
): KpiPoint {
  if (typeof item.point !== 'string') return fromAttributeItem(item);
  const stored = JSON.parse(item.point) as Omit<StoredPoint, 'period_start'>;
  return pointOf({ ...stored, period_start: item.sk as string }, metric, grain, segment);
}

/** A point item in the layout before `point`: one attribute per field. */
function fromAttributeItem(item: Record<string, unknown>): KpiPoint {
  const segment =
    typeof item.segment_key === 'string'
      ? { key: item.segment_key, value: item.segment_value as string }
      : null;
  return {
    metric: item.metric as string,
    grain: item.grain as Grain,
    segment,
    period_start: item.period_start as string,
    value: item.value as number,
    n: item.n as number,
    ci95:
      typeof item.ci_low === 'number' && typeof item.ci_high === 'number'
        ? [item.ci_low, item.ci_high]
        : null,
    components: (item.components ?? {}) as Record<string, number | null>,
    change: typeof item.change === 'number' ? item.change : null,
    change_significant: typeof item.change_significant === 'boolean' ? item.change_significant : null,
    low_sample: item.low_sample === true,
    complete: item.complete === true,
    computed_at: item.computed_at as string,
  };
}
