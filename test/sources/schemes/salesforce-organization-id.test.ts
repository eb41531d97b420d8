import { describe, expect, it } from 'vitest';
import {
  canonicalSalesforceId,
  salesforceIdSuffix,
  sameSalesforceId,
} from '../../../lambdas/sources/schemes/salesforce-organization-id.js';

describe('Salesforce 15/18-character ids', () => {
  it('computes the suffix Salesforce prints on real ids', () => {
    // Ids from a real Outbound Message (the Perl module fixture quoted in vendor-webhooks.md §3.1).
    for (const id of [
      '00De0000000pmu1EAA',
      '04ke0000000Cb2DAAS',
      '04le0000004lnFFAAY',
      'a29e0000000K4P0AAK',
    ]) {
      expect(salesforceIdSuffix(id.slice(0, 15))).toBe(id.slice(15));
    }
  });

  it('matches the 15- and 18-character forms of one id, case-sensitively in the first 15', () => {
    expect(sameSalesforceId('00De0000000pmu1', '00De0000000pmu1EAA')).toBe(true);
    expect(sameSalesforceId('00De0000000pmu1EAA', '00De0000000pmu1')).toBe(true);
    expect(sameSalesforceId('00De0000000pmu1eaa', '00De0000000pmu1EAA')).toBe(true);
    expect(sameSalesforceId('00DE0000000pmu1', '00De0000000pmu1')).toBe(false);
    expect(sameSalesforceId('00DE0000000PMU1EAA', '00De0000000pmu1EAA')).toBe(false);
  });

  it('refuses an 18-character id whose suffix does not encode its case, and anything not an id', () => {
    expect(canonicalSalesforceId('00De0000000pmu1AAA')).toBeUndefined();
    expect(canonicalSalesforceId('00De0000000pmu')).toBeUndefined();
    expect(canonicalSalesforceId('00De0000000pmu1EA')).toBeUndefined();
    expect(canonicalSalesforceId('00De0000000pmu1!')).toBeUndefined();
    expect(sameSalesforceId('', '')).toBe(false);
  });
});
