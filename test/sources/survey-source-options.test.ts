import { describe, expect, it } from 'vitest';
import { parseSourceOptions, SourceOptionsError } from '../../lambdas/config/source-options.js';

describe('survey source options', () => {
  it('fills every survey source’s defaults', () => {
    const options = parseSourceOptions({});

    expect(options('zendesk')).toEqual({
      account_id_from: ['organization_external_id', 'organization_id'],
      ces_scale: { min: 1, max: 7 },
      numeric_csat_scale: { min: 1, max: 5 },
    });
    expect(options('intercom')).toEqual({ account_id_from: ['company_id', 'contact_external_id'] });
    expect(options('typeform')).toEqual({
      fields: {},
      account_hidden_field: 'account_id',
      respondent_hidden_field: 'user_id',
    });
    expect(options('delighted')).toMatchObject({ account_properties: ['account_id', 'company_id'] });
  });

  it('names each wrong option', () => {
    const parse = () =>
      parseSourceOptions({
        sources: {
          zendesk: { ces_field_id: 'CES', account_id_from: [] },
          intercom: { account_id_from: ['email'] },
          typeform: { fields: { recommend: 'promoter' } },
          delighted: { survey_types: { ces: { survey: 'ces', scale_min: 1, scale_max: 7, steps: 7 } } },
        },
      });

    expect(parse).toThrow(SourceOptionsError);
    const message = (() => {
      try {
        parse();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const path of [
      'sources.zendesk.ces_field_id',
      'sources.zendesk.account_id_from',
      'sources.intercom.account_id_from.0',
      'sources.typeform.fields.recommend',
      'sources.delighted.survey_types.ces',
    ]) {
      expect(message).toContain(path);
    }
  });
});
