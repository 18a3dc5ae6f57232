/* global document, getComputedStyle */
// One check of a page laid out for a phone (issue 24: every story and the built site at 320 px),
// shared by the Storybook tests (apps/storybook/.storybook/vitest.setup.ts) and
// scripts/check-builds.mjs, which hands it to Playwright's page.evaluate: so the function is
// self-contained, with no reference to anything else in this module.

/**
 * What a reader of a narrow page would meet: the page wider than the viewport, a genviz element
 * wider than its box or the viewport, an interactive control outside its element, drawn over
 * a neighbour or cut off by a container that hides or scrolls its overflow, and any box that
 * hides part of its content.
 * Walks open shadow roots. Returns one line per problem (empty when the layout is sound).
 *
 * @returns {string[]}
 */
export function narrowLayoutProblems() {
  const tolerance = 1;
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  const scroller = document.scrollingElement ?? document.documentElement;
  if (scroller.scrollWidth > viewport + tolerance)
    problems.push(`the page is ${scroller.scrollWidth} px wide in a ${viewport} px viewport`);

  /** @param {Element} element */
  const name = (element) => {
    const part = element.getAttribute('part');
    const label = element.getAttribute('aria-label') ?? element.textContent?.trim().slice(0, 30);
    return `<${element.localName}${part ? ` part="${part}"` : ''}>${label ? ` "${label}"` : ''}`;
  };
  /** @param {ParentNode} root @returns {Generator<Element>} */
  function* walk(root) {
    for (const element of root.querySelectorAll('*')) {
      yield element;
      if (element.shadowRoot) yield* walk(element.shadowRoot);
    }
  }
  /** @param {Element} element */
  const shown = (element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  /** The element's parent across shadow boundaries (a slot's host, a shadow root's host). @param {Element} element */
  const parentOf = (element) =>
    element.assignedSlot ??
    element.parentElement ??
    /** @type {ShadowRoot | Document} */ (element.getRootNode()).host ??
    null;
  const interactive =
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"]), [role="slider"], [role="button"]';
  const formControl = new Set(['input', 'select', 'textarea']);

  const hosts = [...walk(document)].filter(
    (element) => element.localName.startsWith('genviz-') && element.getRootNode() === document,
  );
  for (const host of hosts) {
    if (!host.shadowRoot || !shown(host)) continue;
    const hostBox = host.getBoundingClientRect();
    const tag = host.localName;
    if (hostBox.left < -tolerance || hostBox.right > viewport + tolerance)
      problems.push(
        `<${tag}> spans ${Math.round(hostBox.left)} to ${Math.round(hostBox.right)} px in a ${viewport} px viewport`,
      );
    if (host.scrollWidth > host.clientWidth + tolerance)
      problems.push(
        `<${tag}> content is ${host.scrollWidth} px wide in its ${host.clientWidth} px box`,
      );
    for (const element of walk(host.shadowRoot)) {
      if (!shown(element)) continue;
      const style = getComputedStyle(element);
      if (
        !formControl.has(element.localName) &&
        // A visually hidden text for screen readers clips on purpose.
        element.clientWidth > 1 &&
        style.overflowX !== 'visible' &&
        element.scrollWidth > element.clientWidth + tolerance
      )
        problems.push(
          `<${tag}> ${name(element)} hides or scrolls its content: ${element.scrollWidth} px in ${element.clientWidth} px (overflow-x: ${style.overflowX})`,
        );
      if (!element.matches(interactive)) continue;
      const box = element.getBoundingClientRect();
      if (box.left < hostBox.left - tolerance || box.right > hostBox.right + tolerance) {
        problems.push(
          `<${tag}> ${name(element)} spans ${Math.round(box.left)} to ${Math.round(box.right)} px, outside its element (${Math.round(hostBox.left)} to ${Math.round(hostBox.right)} px)`,
        );
        continue;
      }
      // Drawn over a neighbour (a slider's thumb over its read-out).
      const overlaps = (a, b) =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > tolerance &&
        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tolerance;
      for (const sibling of element.parentElement?.children ?? []) {
        if (sibling === element || !shown(sibling)) continue;
        if (getComputedStyle(sibling).position === 'absolute') continue;
        if (overlaps(box, sibling.getBoundingClientRect()))
          problems.push(`<${tag}> ${name(element)} overlaps ${name(sibling)}`);
      }
      // Cut off by an ancestor that clips or scrolls its overflow.
      for (let ancestor = parentOf(element); ancestor && ancestor !== host;) {
        if (getComputedStyle(ancestor).overflowX !== 'visible') {
          const clip = ancestor.getBoundingClientRect();
          if (box.left < clip.left - tolerance || box.right > clip.right + tolerance) {
            problems.push(
              `<${tag}> ${name(element)} is cut off by ${name(ancestor)}: ${Math.round(box.left)} to ${Math.round(box.right)} px in ${Math.round(clip.left)} to ${Math.round(clip.right)} px`,
            );
            break;
          }
        }
        ancestor = parentOf(ancestor);
      }
    }
  }
  return problems;
}
