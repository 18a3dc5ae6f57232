/**
 * Runs an element's first update in a task of its own instead of in the task that created it.
 * A page (or a `customElements.define` upgrading a page) that puts many elements up at once
 * otherwise renders all of them in one task: 21 elements were one 150 ms task, during which the
 * page could not respond. `updateComplete` still resolves after the first render.
 *
 * Use from `scheduleUpdate()`: `return this.hasUpdated ? super.scheduleUpdate() : inOwnTask(() => super.scheduleUpdate())`.
 */
export function inOwnTask(work: () => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    }, 0);
  });
}
