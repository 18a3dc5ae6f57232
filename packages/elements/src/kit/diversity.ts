import type { DigitReading } from '@genviz/runtime';
import { palette } from './draw.js';

// How varied a batch of generated images is, as a classifier sees it: the histogram of the
// digits it reads, and that histogram's entropy in bits (log2(10) = 3.32 when every digit is
// equally common, 0 when every image reads as the same digit: mode collapse).

/** Counts of each predicted class (length `classes`). */
export function classHistogram(readings: readonly DigitReading[], classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const reading of readings) counts[reading.digit] = (counts[reading.digit] ?? 0) + 1;
  return counts;
}

/** Shannon entropy of a histogram, in bits. */
export function entropyBits(counts: readonly number[]): number {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  let bits = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const CONTEXT_OPTIONS: CanvasRenderingContext2DSettings = { willReadFrequently: true };

/**
 * A bar chart of counts with a label under each bar (0-9 by default), bars in the palette's
 * accent, on a canvas of any size. Colours come from CSS like every kit drawing (see `palette`).
 */
export function drawBars(
  canvas: HTMLCanvasElement | null,
  counts: readonly number[] | undefined,
  labels: readonly string[] = counts?.map((_, i) => String(i)) ?? [],
): void {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!canvas || !context) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  if (!counts || counts.length === 0) return;
  const colours = palette(canvas);
  const bottom = height - 14;
  const top = 4;
  const max = Math.max(1, ...counts);
  const slot = width / counts.length;
  context.fillStyle = colours.accent;
  counts.forEach((count, i) => {
    const barHeight = (count / max) * (bottom - top);
    context.fillRect(i * slot + slot * 0.15, bottom - barHeight, slot * 0.7, barHeight);
  });
  context.fillStyle = colours.ink;
  context.fillRect(0, bottom, width, 1);
  context.font = '10px system-ui, sans-serif';
  context.textBaseline = 'bottom';
  context.textAlign = 'center';
  labels.forEach((label, i) => context.fillText(label, i * slot + slot / 2, height));
}
