import { SettingsError } from '../config/settings.js';
import { SourceOptionsError } from '../config/source-options.js';
import { aggregateCommand } from './aggregate-command.js';
import { type Command, UsageError } from './command.js';
import { compactCommand } from './compact-command.js';
import { demoCommand } from './demo-command.js';
import { queryCommand } from './query-command.js';
import { replayCommand } from './replay-command.js';
import { schemasCommand } from './schemas-command.js';
import { startCommand } from './start-command.js';

const COMMANDS: readonly Command[] = [
  startCommand,
  replayCommand,
  aggregateCommand,
  compactCommand,
  queryCommand,
  demoCommand,
  schemasCommand,
];

function overview(): string {
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`);
  return `Usage: cs-pulse <command> [options]   (npm start, npm run <command> -- [options])

Commands:
${lines.join('\n')}

Run a command with --help for its options.`;
}

/** Runs one CLI command and returns the process exit code; never throws. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof SettingsError ||
      error instanceof SourceOptionsError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}
