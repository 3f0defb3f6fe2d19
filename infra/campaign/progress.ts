/** The progress a campaign shows on stderr: a bar redrawn in place on a terminal, a plain line now and then elsewhere (CI logs). */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressCounts {
  done: number;
  created: number;
  skipped: number;
  failed: number;
  retries: number;
}

export function progressText(total: number, counts: ProgressCounts, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (counts.done * 1000) / elapsedMs : 0;
  const left = rate > 0 ? Math.round((total - counts.done) / rate) : undefined;
  const eta = left === undefined || counts.done === total ? '' : ` · ETA ${formatDuration(left)}`;
  const percent = total > 0 ? Math.floor((counts.done * 100) / total) : 100;
  return (
    `${counts.done}/${total} (${percent}%) · created ${counts.created} · skipped ${counts.skipped} · failed ${counts.failed}` +
    `${counts.retries > 0 ? ` · retries ${counts.retries}` : ''} · ${rate.toFixed(1)}/s${eta}`
  );
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export class Progress {
  private lastDraw = -Infinity;
  private readonly started: number;

  constructor(
    private readonly out: ProgressStream,
    private readonly total: number,
    private readonly now: () => number,
    /** Between two plain lines when not on a terminal. */
    private readonly plainIntervalMs = 5_000,
  ) {
    this.started = now();
  }

  update(counts: ProgressCounts, force = false) {
    const now = this.now();
    const interval = this.out.isTTY ? 100 : this.plainIntervalMs;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const text = progressText(this.total, counts, now - this.started);
    if (!this.out.isTTY) {
      this.out.write(`${text}\n`);
      return;
    }
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - text.length - 4));
    const filled = this.total > 0 ? Math.round((counts.done / this.total) * width) : width;
    // \r and "erase line": the bar stays on one line however often it is redrawn.
    this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
  }

  /** The last state, then a line end on a terminal so what follows starts on its own line. */
  finish(counts: ProgressCounts) {
    this.update(counts, true);
    if (this.out.isTTY) this.out.write('\n');
  }
}
