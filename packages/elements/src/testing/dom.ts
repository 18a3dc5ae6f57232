// Test and story helpers: one set of mount and query functions for every element's tests and
// stories. Not built or published (see tsconfig.json and package.json's files).
import { render } from 'lit';
import type { TemplateResult } from 'lit';

const mounted: HTMLElement[] = [];

/** Renders `template` into a fresh container of `width` px and waits for `selector`'s first update. */
export async function mount<T extends HTMLElement & { updateComplete: Promise<boolean> }>(
  template: TemplateResult,
  selector: string,
  width = 640,
): Promise<T> {
  const host = document.createElement('div');
  host.style.width = `${width}px`;
  document.body.append(host);
  mounted.push(host);
  render(template, host);
  const element = host.querySelector<T>(selector)!;
  await element.updateComplete;
  return element;
}

/** Removes everything `mount` added, and the mouse helpers' scroll spacer (call it in afterEach). */
export function unmountAll(): void {
  for (const host of mounted.splice(0)) host.remove();
  document.getElementById('genviz-test-scroll-spacer')?.remove();
  window.scrollTo(0, 0);
}

/** The first element of a shadow root carrying part `name`. */
export const part = (element: Element, name: string): HTMLElement | null =>
  element.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

/** Every element of a shadow root carrying part `name`. */
export const parts = (element: Element, name: string): HTMLElement[] => [
  ...element.shadowRoot!.querySelectorAll<HTMLElement>(`[part~="${name}"]`),
];

/** Resolves with the next event `name` on `element`. */
export const once = <K extends keyof GlobalEventHandlersEventMap>(
  element: EventTarget,
  name: K,
): Promise<GlobalEventHandlersEventMap[K]> =>
  new Promise((resolve) =>
    element.addEventListener(name, (event) => resolve(event as GlobalEventHandlersEventMap[K]), {
      once: true,
    }),
  );

/** Whether `element` is in custom state `state`. */
export const inState = (element: Element, state: string): boolean =>
  element.matches(`:state(${state})`);

/** The text of the element's polite live region. */
export const announcement = (element: Element): string =>
  element.shadowRoot!.querySelector('[aria-live="polite"]')?.textContent?.trim() ?? '';

/** A canvas's pixels as grey levels (its red channel). */
export function pixels(canvas: HTMLCanvasElement): number[] {
  const { width, height } = canvas;
  const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  return Array.from({ length: width * height }, (_, i) => data[i * 4]!);
}

/**
 * The bound on a wait for work that runs a model (a load, a decode, a sampling run, a round).
 * CI shares two cores with other work, so a wait ends when the work is done, however long
 * it takes; the bound only turns a hang into a failure. Tests run under a longer limit
 * (the root vitest.config.ts), so several such waits fit in one test.
 */
export const MODEL_WORK = { timeout: 240_000, interval: 50 } as const;
