import { describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../../lambdas/domain/canonical-events.js';
import { LAKE_TABLES } from '../../../lambdas/lake/layout.js';
import { rawRecordSchema } from '../../../lambdas/lake/raw-record.js';
import { tableObjectsOf } from '../../../lambdas/lake/table-rows.js';
import { COMPACTED_TABLES, lakeTables, NORMALIZED_TABLES } from '../../../lib/tables/lake-tables.js';
import { COMPACTION_QUERIES, renderSql, VIEWS } from '../../../queries/registry.js';
import {
  accountUpdated,
  subscriptionCanceled,
  subscriptionStarted,
  surveyEvent,
} from '../../support/events.js';

/**
 * The Glue schemas are written by hand beside the code that writes the rows; these tests hold them together, so a
 * column added to lambdas/lake/table-rows.ts without its Glue column (or the reverse) fails here, not in Athena.
 */
function rowsByTable(): Map<string, Record<string, unknown>[]> {
  const events = [
    accountUpdated('e1', 'acct_1', '2026-03-01T10:00:00Z', {
      name: 'Acme',
      plan: 'pro',
      attributes: { region: 'emea' },
    }),
    subscriptionStarted('e2', 'acct_1', 99.5, '2026-03-01T10:00:00Z', { subscription_id: 'sub_1' }),
    subscriptionCanceled('e3', 'acct_1', '2026-03-02T10:00:00Z', '2026-03-31T00:00:00Z'),
    surveyEvent('e4', 'acct_1', 'nps', 9, '2026-03-03T10:00:00Z', {
      comment: 'great',
      touchpoint: 'support',
    }),
  ].map((event) => canonicalEventSchema.parse(event));
  const objects = tableObjectsOf('generic', 'k', events, new Date('2026-03-03T11:00:00Z'));
  const rows = new Map<string, Record<string, unknown>[]>();
  for (const object of objects) {
    const table = object.key.split('/')[1]!;
    const parsed = String(object.body)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    rows.set(table, [...(rows.get(table) ?? []), ...parsed]);
  }
  return rows;
}

describe('lake table definitions', () => {
  const rows = rowsByTable();

  it('declare exactly the normalized tables ingest writes', () => {
    expect(NORMALIZED_TABLES.map((table) => table.name).sort()).toEqual([...LAKE_TABLES].sort());
    expect(NORMALIZED_TABLES.map((table) => table.prefix)).toEqual(
      NORMALIZED_TABLES.map((table) => `tables/${table.name}/`),
    );
  });

  it.each(NORMALIZED_TABLES.map((table) => [table.name, table] as const))(
    'declare for %s exactly the fields of the rows written, in order',
    (name, table) => {
      const written = rows.get(name);
      expect(written, `no ${name} rows were produced`).toBeDefined();
      for (const row of written!)
        expect(table.columns.map((column) => column.name)).toEqual(Object.keys(row));
    },
  );

  it('type each column as the JSON value the rows carry', () => {
    for (const table of NORMALIZED_TABLES) {
      for (const row of rows.get(table.name)!) {
        for (const column of table.columns) {
          const value = row[column.name];
          if (value === null) continue;
          if (column.type === 'double') expect(typeof value, `${table.name}.${column.name}`).toBe('number');
          if (column.type === 'string') expect(typeof value, `${table.name}.${column.name}`).toBe('string');
          // The OpenX SerDe reads `YYYY-MM-DD HH:MM:SS.sss` as a TIMESTAMP; an ISO 'T…Z' string would be NULL.
          if (column.type === 'timestamp')
            expect(value, `${table.name}.${column.name}`).toMatch(
              /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/,
            );
        }
      }
    }
  });

  it('declare the raw archive with every raw record field except source, which is its partition', () => {
    const raw = lakeTables(['generic']).find((table) => table.name === 'raw_deliveries')!;
    const recordFields = Object.keys(rawRecordSchema.shape).filter((field) => field !== 'source');

    expect(raw.columns.map((column) => column.name)).toEqual(recordFields);
    expect(raw.partitionKeys.map((key) => key.name)).toEqual(['source', 'dt']);
  });

  it('never give a column the name of a partition key', () => {
    for (const table of lakeTables(['generic'])) {
      const partitionNames = table.partitionKeys.map((key) => key.name);
      expect(table.columns.filter((column) => partitionNames.includes(column.name))).toEqual([]);
    }
  });

  it('declare a Parquet copy of each normalized table under compacted/, with the same columns and dt', () => {
    expect(COMPACTED_TABLES.map((table) => table.name)).toEqual(
      NORMALIZED_TABLES.map((table) => `${table.name}_compacted`),
    );
    for (const [index, table] of COMPACTED_TABLES.entries()) {
      const fresh = NORMALIZED_TABLES[index]!;
      expect(table).toMatchObject({ format: 'parquet', prefix: `compacted/${fresh.name}/` });
      expect(table.columns).toEqual(fresh.columns);
      expect(table.partitionKeys).toEqual(fresh.partitionKeys);
    }
    expect(lakeTables(['generic']).map((table) => table.name)).toEqual(
      expect.arrayContaining(COMPACTED_TABLES.map((table) => table.name)),
    );
  });

  it('select the Glue columns in order, then dt, in the compaction SQL and the union views (INSERT INTO is positional)', () => {
    const selected = (sql: string) =>
      [...sql.matchAll(/SELECT ([^;]*?)\s+FROM/g)].map((match) =>
        match[1]!.split(',').map((name) => name.trim()),
      );
    for (const table of NORMALIZED_TABLES) {
      const expected = [...table.columns.map((column) => column.name), 'dt'];
      const compaction = COMPACTION_QUERIES.find((query) => query.table === table.name)!;
      const union = VIEWS.find((view) => view.id === `all_${table.name}`)!;
      for (const sql of [renderSql(compaction, 'cs_pulse'), renderSql(union, 'cs_pulse')]) {
        expect(selected(sql)).toEqual([expected, expected]);
      }
    }
  });
});
