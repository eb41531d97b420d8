/** Where the bar is drawn: stderr, or anything with write (tests). */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const WIDTH = 30;

/**
 * A text progress bar. On a terminal it redraws one line in place; elsewhere (CI logs, a pipe) carriage returns would
 * pile up, so it prints a line at every tenth instead.
 */
export class ProgressBar {
  private done = 0;
  private lastDrawn = 0;
  private lastTenth = -1;
  private readonly began = performance.now();

  constructor(
    private readonly output: ProgressOutput,
    private readonly total: number,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  advance(by: number): void {
    this.done = Math.min(this.total, this.done + by);
    if (this.output.isTTY) {
      const now = performance.now();
      if (now - this.lastDrawn >= 80 || this.done === this.total) {
        this.lastDrawn = now;
        this.output.write(`\r${this.line()}`);
      }
      return;
    }
    const tenth = this.total === 0 ? 10 : Math.floor((10 * this.done) / this.total);
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.output.write(`${this.line()}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.output.isTTY) this.output.write(`\r${this.line()}\n`);
    else if (this.lastTenth < 10) this.output.write(`${this.line()}\n`);
  }

  private line(): string {
    const share = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(share * WIDTH);
    const seconds = ((performance.now() - this.began) / 1000).toFixed(1);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${this.unit}  ${seconds} s`;
  }
}
