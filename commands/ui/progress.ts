/**
 * Progress bars on a terminal: one line per blob in flight on stderr, redrawn in place at most
 * ten times a second; finished blobs drop out. Only made where `progressEnabled()` allows it (a
 * terminal, no `NO_COLOR`, no `CI`), so pipes and CI logs get plain lines only.
 * @module
 */
import { onInterrupt } from "../../core/interrupt.ts";
import { humanSize } from "../../core/size.ts";
import { progressEnabled } from "./output.ts";

const width = 30;
const redrawMs = 100;
const encoder = new TextEncoder();

interface Bar {
  label: string;
  total: number;
  done: number;
}

/** Live bars for transfers, keyed by any id (a digest). */
export class ProgressBars {
  #bars = new Map<string, Bar>();
  #drawn = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #write: (text: string) => void;

  #forget: () => void;

  /** Bars drawn with `write` (stderr by default); erased if the process is interrupted. */
  constructor(write: (text: string) => void = (t) => Deno.stderr.writeSync(encoder.encode(t))) {
    this.#write = write;
    this.#forget = onInterrupt(() => this.close());
  }

  /** Shows a bar for `id`: `label` and a total size in bytes. */
  start(id: string, label: string, total: number): void {
    this.#bars.set(id, { label, total, done: 0 });
    this.#schedule();
  }

  /** Moves the bar of `id` to `done` bytes. */
  update(id: string, done: number): void {
    const bar = this.#bars.get(id);
    if (!bar) return;
    bar.done = done;
    this.#schedule();
  }

  /** Removes the bar of `id`. */
  finish(id: string): void {
    if (this.#bars.delete(id)) this.#schedule();
  }

  /** Runs `print` (which writes lines of output) with the bars out of the way, then redraws. */
  around(print: () => void): void {
    this.#erase();
    print();
    this.#draw();
  }

  /** Erases the bars and stops redrawing. */
  close(): void {
    this.#forget();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#erase();
    this.#bars.clear();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#erase();
      this.#draw();
    }, redrawMs);
  }

  #erase(): void {
    if (this.#drawn) this.#write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const lines = [...this.#bars.values()].map(renderBar);
    if (lines.length) this.#write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}

/** One bar: `8224586 content [=========>        ] 12.0 KiB / 18.1 KiB`. */
export function renderBar(bar: Bar): string {
  const ratio = bar.total > 0 ? Math.min(1, bar.done / bar.total) : 1;
  const filled = Math.round(ratio * width);
  const arrow = filled < width ? ">" : "";
  const body = "=".repeat(Math.max(0, filled - arrow.length)) + arrow;
  return `${bar.label} [${body.padEnd(width)}] ${humanSize(bar.done)} / ${humanSize(bar.total)}`;
}

/** Bars on stderr when progress may be drawn there; otherwise undefined (print plain lines). */
export function progressBars(): ProgressBars | undefined {
  return progressEnabled(Deno.stderr) ? new ProgressBars() : undefined;
}
