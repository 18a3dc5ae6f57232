// A person's mouse for the elements' tests: strokes made with the test browser's own mouse
// (Playwright's page.mouse, through a Node-side browser command registered in the root
// vitest.config.ts), so they go through Chromium's input pipeline as a reader's would: trusted
// events, coalesced moves, hit testing and pointer capture. `dispatchEvent` skips all of that.
import { commands } from 'vitest/browser';
import type {} from './node-commands.js';

type Point = readonly [number, number];

/**
 * Scrolls `surface` to the top of the viewport and gives a mapper from fractions of it to client
 * px. The test page's own window can be shorter than its iframe: a surface low in the iframe
 * would be off screen for the mouse, so a spacer lets any surface scroll to the top.
 */
function placed(surface: Element): (fx: number, fy: number) => Point {
  let spacer = document.getElementById('genviz-test-scroll-spacer');
  if (!spacer) {
    spacer = document.createElement('div');
    spacer.id = 'genviz-test-scroll-spacer';
    spacer.style.blockSize = '100vh';
    document.body.append(spacer);
  }
  document.body.append(spacer);
  surface.scrollIntoView({ block: 'start', inline: 'center' });
  const box = surface.getBoundingClientRect();
  return (fx, fy) => [box.left + fx * box.width, box.top + fy * box.height];
}

/**
 * Drags across `surface` with the mouse: presses at the first point, moves through the rest,
 * releases at the last. Points are fractions of the surface's box (0, 0 top left; 1, 1 bottom
 * right). One point is a click.
 */
export async function drag(surface: Element, points: readonly Point[]): Promise<void> {
  const at = placed(surface);
  await commands.mouseStrokes([points.map(([fx, fy]) => at(fx, fy))], window.innerWidth);
}

/** Moves the mouse over `surface` at a fraction of its box, without pressing. */
export async function hover(surface: Element, fx: number, fy: number): Promise<void> {
  const at = placed(surface);
  await commands.mouseHover(at(fx, fy), window.innerWidth);
}

/**
 * Traces `image` (28x28, values in [0, 1]) onto `surface` with the mouse: one horizontal
 * stroke per run of bright pixels in each row.
 */
export async function traceDigit(
  surface: Element,
  image: ArrayLike<number>,
  threshold = 0.5,
): Promise<void> {
  const at = placed(surface);
  const cell = (x: number, y: number) => at((x + 0.5) / 28, (y + 0.5) / 28);
  const strokes: Point[][] = [];
  for (let y = 0; y < 28; y++) {
    let x = 0;
    while (x < 28) {
      if (image[y * 28 + x]! < threshold) {
        x += 1;
        continue;
      }
      const stroke: Point[] = [];
      while (x < 28 && image[y * 28 + x]! >= threshold) stroke.push(cell(x++, y));
      strokes.push(stroke);
    }
  }
  await commands.mouseStrokes(strokes, window.innerWidth);
}
