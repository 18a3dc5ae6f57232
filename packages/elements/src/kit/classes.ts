/**
 * Colours for the ten digit classes (dots on a latent map, histograms): a categorical palette
 * that stays distinct in light and dark pages. Each is a token, `--genviz-class-<k>-color`.
 */
export const CLASS_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#8f8fa3',
] as const;

/** The resolved colour of class `k` for an element (its token, else the default). */
export function classColors(element: Element): string[] {
  const style = getComputedStyle(element);
  return CLASS_COLORS.map(
    (fallback, k) => style.getPropertyValue(`--genviz-class-${k}-color`).trim() || fallback,
  );
}
