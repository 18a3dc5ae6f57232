// Scripted drawing for tests and stories: a real digit traced onto a drawing surface with
// pointer events, as a reader's strokes would arrive.

/**
 * Traces `image` (28x28, values in [0, 1]) onto `surface`: one horizontal stroke per run of
 * bright pixels in each row, with pointerdown, pointermove and pointerup events.
 */
export function traceDigit(surface: HTMLElement, image: ArrayLike<number>, threshold = 0.5): void {
  const box = surface.getBoundingClientRect();
  const cell = box.width / 28;
  const at = (x: number, y: number) => ({
    clientX: box.left + (x + 0.5) * cell,
    clientY: box.top + (y + 0.5) * cell,
    pointerId: 1,
    button: 0,
    buttons: 1,
    bubbles: true,
    composed: true,
  });
  for (let y = 0; y < 28; y++) {
    let x = 0;
    while (x < 28) {
      if (image[y * 28 + x]! < threshold) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < 28 && image[y * 28 + x]! >= threshold) x += 1;
      surface.dispatchEvent(new PointerEvent('pointerdown', at(start, y)));
      for (let step = start; step < x; step++) {
        surface.dispatchEvent(new PointerEvent('pointermove', at(step, y)));
      }
      surface.dispatchEvent(new PointerEvent('pointerup', at(x - 1, y)));
    }
  }
}
