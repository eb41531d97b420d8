import path from 'node:path';

export interface NextStepsContext {
  readonly url: string;
  /** CS_PULSE_HOME as the user gave it (or the default). */
  readonly homeSetting: string;
  readonly defaultHome: boolean;
  readonly apiToken: string | undefined;
  /** The first month of the simulated history, YYYY-MM-01. */
  readonly from: string;
  /** The config file the vendor mode wrote, for replay. */
  readonly configFile?: string | undefined;
}

/** Commands to copy after the demo: the read API with the real URL, and the SQL on the same home. */
export function nextSteps(context: NextStepsContext): string {
  const auth = context.apiToken ? ` -H "Authorization: Bearer $CS_PULSE_API_TOKEN"` : '';
  const curl = (pathAndQuery: string) => `  curl -s${auth} '${context.url}${pathAndQuery}'`;
  const env = context.defaultHome ? '' : `CS_PULSE_HOME=${shellWord(context.homeSetting)} `;
  const configEnv = context.configFile
    ? `CS_PULSE_CONFIG=${shellWord(path.relative('.', context.configFile))} `
    : '';
  return [
    'Try the read API (while this runs):',
    curl('/v1/kpis'),
    curl(`/v1/kpis/logo_churn_rate?grain=month&from=${context.from}`),
    curl('/v1/kpis/logo_churn_rate?grain=quarter&segment=plan:starter'),
    curl('/v1/kpis/nps?grain=quarter&segment=plan:enterprise'),
    curl('/v1/kpis/csat?grain=month&segment=region:emea'),
    curl('/v1/openapi.json'),
    '',
    'Or the SQL behind the KPIs, on the same lake:',
    `  ${env}npm run query -- cohort_retention`,
    `  ${env}npm run query -- logo_churn_rate --param grain=quarter`,
    `  ${env}npm run query -- nps --param grain=quarter --format csv`,
    `  ${env}${configEnv}npm run replay`,
  ].join('\n');
}

function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
