import { parseArgs } from 'node:util';
import { describeSettings, readSettings } from '../config/settings.js';
import { startLocalApp } from '../local/local-app.js';
import { WEBHOOK_SOURCES } from '../sources/registry.js';
import type { Command } from './command.js';

const settingsHelp = describeSettings()
  .map(
    (setting) =>
      `  ${setting.name.padEnd(38)} ${setting.description}${setting.defaultValue === undefined ? '' : ` (default: ${setting.defaultValue})`}`,
  )
  .join('\n');

export const startCommand: Command = {
  name: 'start',
  summary: 'serve the webhook endpoints and the read API on this machine',
  usage: `Usage: npm start [-- --help]

Serves cs-pulse on one machine, no AWS account needed: POST /webhooks/<source> into a lake folder with the S3
layout, and GET /healthz. Stop it with Ctrl-C.

Environment:
${settingsHelp}
  CS_PULSE_SECRET_<SOURCE>               Signing secret(s) of a source, space-separated for rotation.
`,
  async run(args) {
    parseArgs({ args: [...args], options: {}, strict: true });
    const settings = readSettings();
    const app = await startLocalApp({ settings });
    const secretNote = {
      environment: 'from CS_PULSE_SECRET_GENERIC',
      file: `kept in ${app.home.secretsFile}`,
      generated: `generated now and kept in ${app.home.secretsFile}`,
    }[app.genericSecret.origin];
    console.log(`cs-pulse is serving on ${app.url}

  Webhooks      ${WEBHOOK_SOURCES.map((source) => `POST ${app.url}/webhooks/${source.name}`).join('\n                ')}
  Health        GET  ${app.url}/healthz

  Data          ${app.home.root}
  Secrets       generic: ${app.genericSecret.secret}
                (${secretNote}; other sources read CS_PULSE_SECRET_<SOURCE>)
`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.log('stopping…');
        void app.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
