// Every story, after its play function, is checked as a phone shows it (issue 24): at 320 px
// wide, nothing may overflow the page or its element, no control may be cut off, and axe-core
// may find no serious or critical violation. Registered in ../vitest.config.ts.
import axe from 'axe-core';
import { afterEach } from 'vitest';
import { page } from 'vitest/browser';
import { narrowLayoutProblems } from '../../../scripts/narrow-layout.mjs';

const NARROW = { width: 320, height: 900 };
/** Every animation and transition on the page, in open shadow roots too (the document's own list leaves those out). */
function animations(): Animation[] {
  const found = document.getAnimations();
  const walk = (root: Document | ShadowRoot) => {
    for (const element of root.querySelectorAll('*')) {
      if (element.shadowRoot) {
        found.push(...element.shadowRoot.getAnimations());
        walk(element.shadowRoot);
      }
    }
  };
  walk(document);
  return found;
}
const frame = () => new Promise((done) => requestAnimationFrame(() => done(undefined)));

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') return; // The story's own failure says more.
  await page.viewport(NARROW.width, NARROW.height);
  // Container queries and resize observers settle over a frame or two.
  await frame();
  await frame();
  // A colour mid-transition (a button just pressed) is no colour a reader sees for long: let
  // every finite animation and transition end before axe measures contrast.
  await Promise.all(
    animations()
      .filter((animation) => Number.isFinite(animation.effect?.getComputedTiming().endTime))
      .map((animation) => animation.finished.catch(() => undefined)),
  );
  const layout = narrowLayoutProblems();
  const { violations } = await axe.run(document, { resultTypes: ['violations'] });
  const serious = violations
    .filter(({ impact }) => impact === 'serious' || impact === 'critical')
    .map(
      ({ id, impact, help, nodes }) =>
        `axe ${impact} ${id}: ${help} (${nodes.length}): ${nodes
          .slice(0, 3)
          .map((node) => JSON.stringify(node.target))
          .join(', ')}`,
    );
  const problems = [...layout.map((line) => `at ${NARROW.width} px: ${line}`), ...serious];
  if (problems.length > 0) throw new Error(problems.join('\n'));
});
