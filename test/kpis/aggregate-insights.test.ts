import { describe, expect, it } from 'vitest';
import { churnDriversDocument } from '../../lambdas/kpis/aggregate-insights.js';
import type { SqlRow } from '../../lambdas/ports/sql-engine.js';

/** The verdict sentence is read off the SQL's interval of AUC(CES) − AUC(NPS); these are its other branches. */
const survey = (name: string, auc: number | null, se: number | null): SqlRow => ({
  kind: 'survey',
  survey: name,
  band: null,
  responses: 40,
  churned: 10,
  churn_rate: 25,
  ci_low: 14,
  ci_high: 40,
  auc,
  auc_se: se,
  auc_ci_low: auc === null || se === null ? null : auc - 1.96 * se,
  auc_ci_high: auc === null || se === null ? null : auc + 1.96 * se,
});
const comparison = (difference: number, low: number, high: number): SqlRow => ({
  kind: 'comparison',
  survey: 'ces_vs_nps',
  auc: difference,
  auc_se: (high - low) / 3.92,
  auc_ci_low: low,
  auc_ci_high: high,
});
const document = (rows: SqlRow[]) =>
  churnDriversDocument(rows, [], '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 90);

describe('the CES against NPS verdict', () => {
  it('says there is no clear difference when the interval of the difference includes zero', () => {
    const { ces_vs_nps } = document([
      survey('ces', 0.7, 0.05),
      survey('nps', 0.65, 0.05),
      comparison(0.05, -0.09, 0.19),
    ]);
    expect(ces_vs_nps).toMatchObject({ answer: 'no_difference', auc_difference: 0.05, ci95: [-0.09, 0.19] });
    expect(ces_vs_nps.verdict).toBe(
      'No clear difference: CES and NPS predict churn about equally well on this data (AUC 0.70 for CES against 0.65 for NPS; the difference 0.05 has the 95% interval -0.09 to 0.19, which includes zero).',
    );
  });

  it('says NPS is better when the whole interval is below zero', () => {
    const { ces_vs_nps } = document([
      survey('ces', 0.55, 0.03),
      survey('nps', 0.8, 0.03),
      comparison(-0.25, -0.33, -0.17),
    ]);
    expect(ces_vs_nps.answer).toBe('nps');
    expect(ces_vs_nps.verdict).toMatch(/^No: on this data NPS predicts churn better than CES/);
  });

  it('says which survey lacks the data for an answer', () => {
    const { ces_vs_nps, surveys } = document([survey('ces', null, null), survey('nps', 0.6, 0.05)]);
    expect(surveys.ces?.auc).toBeNull();
    expect(surveys.csat).toBeNull();
    expect(ces_vs_nps).toEqual({
      answer: 'insufficient_data',
      verdict:
        'Not enough data to tell: CES needs responses from accounts that churned within 90 days after answering and from accounts that stayed.',
      auc_difference: null,
      ci95: null,
    });
  });
});
