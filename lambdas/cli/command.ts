/** A CLI subcommand: `npm run <name> -- [options]`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The full `--help` text. */
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

export class UsageError extends Error {}
