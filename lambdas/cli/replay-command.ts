import { parseArgs } from 'node:util';
import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import { readSettings } from '../config/settings.js';
import { loadSourceOptions, localConfigFiles } from '../config/source-options.js';
import { replayLake } from '../lake/replay.js';
import { localHome } from '../local/home.js';
import type { Command } from './command.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'rebuild the normalized tables from the raw archive',
  usage: `Usage: npm run replay -- [--include-quarantined] [--json]

Normalizes every accepted body in the raw archive again, rewrites the tables under the same keys and deletes table
files that no archived body produces any more. The raw archive is the source of truth: running replay twice leaves
the same files. It works while \`npm start\` runs on the same home.

Options:
  --include-quarantined   also try bodies that were refused (after a mapping fix that makes them valid)
  --json                  print the report as JSON
`,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        'include-quarantined': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const settings = readSettings();
    const home = localHome(settings.CS_PULSE_HOME);
    const store = await LocalDiskObjectStore.open({ root: home.lake, durability: 'none' });
    const report = await replayLake(store, {
      sourceOptions: await loadSourceOptions(settings.CS_PULSE_CONFIG, localConfigFiles(home.root)),
      includeQuarantined: values['include-quarantined'],
    });
    await store.sync();
    await store.close();
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`replayed ${report.replayed} of ${report.rawRecords} archived bodies into ${report.events} events (${report.ignored} ignored)
  table files written: ${report.tableObjectsWritten}, stale files deleted: ${report.tableObjectsDeleted}, compacted files dropped: ${report.compactedObjectsDeleted}
  quarantined bodies skipped: ${report.skippedQuarantined}${report.failed.length > 0 ? `\n  failed: ${report.failed.length}` : ''}`);
      for (const failure of report.failed.slice(0, 20)) console.log(`    ${failure.key}: ${failure.reason}`);
    }
    return report.failed.length > 0 ? 1 : 0;
  },
};
