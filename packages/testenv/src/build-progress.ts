/**
 * Turns the output of scripts/build-assets.sh into a few log lines: each phase as it starts
 * (`[testenv] ...` lines), and each minute how far the current one is. While compiling, the
 * script announces `[testenv] compiling NAME ... (N packages)` and then `go build -v` prints one
 * import path per package compiled: those are counted, not logged, so a 2,000-package build
 * reads "612 of 1127 packages" rather than scrolling by or going silent for minutes.
 */
export class BuildProgress {
  private readonly started: number;
  private phase = '';
  private phaseStarted = 0;
  private total: number | undefined;
  private compiled = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** One line of the script's output (stderr). */
  line(text: string): void {
    if (!text.trim()) return;
    if (text.startsWith(PHASE)) {
      this.phase = text.slice(PHASE.length).replace(/ \([^)]*\)$/, '');
      this.phaseStarted = this.now();
      const count = COMPILING.exec(text);
      this.total = count ? Number(count[1]) : undefined;
      this.compiled = 0;
      this.log(text);
    } else if (this.total !== undefined && IMPORT_PATH.test(text)) {
      this.compiled++;
    } else {
      // Go's own lines: "go: downloading ...", and compile errors.
      this.log(`  ${text}`);
    }
  }

  /** Called once a minute: where the current phase is, and how long it and the build have run. */
  tick(): void {
    if (!this.phase) return;
    const count =
      this.total === undefined ? '' : `${Math.min(this.compiled, this.total)} of ${this.total} packages, `;
    const inAll = this.phaseStarted > this.started ? ` (${duration(this.now() - this.started)} in all)` : '';
    this.log(`${PHASE}${this.phase}: ${count}${duration(this.now() - this.phaseStarted)} so far${inAll}`);
  }
}

const PHASE = '[testenv] ';
const COMPILING = /^\[testenv\] compiling .*\((\d+) packages?\b[^)]*\)$/;
/** What `go build -v` prints for a package: its import path alone (`# pkg` starts an error). */
const IMPORT_PATH = /^[\w.~+-]+(\/[\w.~+-]+)*$/;

/** 125_000 → "2 min 5 s"; 42_000 → "42 s". */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
