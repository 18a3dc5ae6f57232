import { describe, expect, test } from 'vitest';
import manifest from '@genviz/elements/custom-elements.json' with { type: 'json' };
import { documentedManifest, markdownDescription } from './manifest.js';

// The docs table and controls of every element, as Storybook's own extraction makes them from
// the manifest preview.ts hands it (issue 24: attributes named like a CSS part had no control).

interface ArgType {
  name: string;
  description?: string;
  table: { category: string };
}
interface Attribute {
  name: string;
}
const declarations = (
  manifest as unknown as {
    modules: { declarations?: { tagName?: string; attributes?: Attribute[] }[] }[];
  }
).modules
  .flatMap((module) => module.declarations ?? [])
  .filter((declaration) => declaration.tagName);

// Storybook's web-components entry sets a flag on `window` when it loads: Node has none.
(globalThis as { window?: unknown }).window ??= globalThis;
const { setCustomElementsManifest } = await import('@storybook/web-components');
const { parameters } = await import('@storybook/web-components/entry-preview-argtypes');
setCustomElementsManifest(documentedManifest(manifest));
const argTypes = (tagName: string) =>
  parameters.docs.extractArgTypes(tagName) as unknown as Record<string, ArgType>;

describe('the Storybook docs of every element', () => {
  test.each(declarations.map((declaration) => [declaration.tagName!, declaration] as const))(
    '%s: every attribute keeps its row (and control) among the attributes, not replaced by a CSS part',
    (tagName, declaration) => {
      const rows = argTypes(tagName);
      for (const attribute of declaration.attributes ?? []) {
        const key = Object.keys(rows).find((name) => name === attribute.name);
        expect(key, `${tagName} ${attribute.name}`).toBeDefined();
        expect(rows[key!]!.table.category, `${tagName} ${attribute.name}`).toBe('attributes');
      }
      expect(
        Object.values(rows).filter((row) => row.table.category === 'css shadow parts').length,
      ).toBeGreaterThan(0);
    },
  );

  test('no description has a bare underscore for Markdown to read as italics', () => {
    for (const declaration of declarations) {
      for (const row of Object.values(argTypes(declaration.tagName!))) {
        const outsideCode = (row.description ?? '').split(/`[^`]*`/).join('');
        expect(outsideCode, `${declaration.tagName} ${row.name}`).not.toMatch(/_/);
      }
    }
    expect(markdownDescription('at most its original_inference_steps, 50 (`a_b` kept)')).toBe(
      'at most its `original_inference_steps`, 50 (`a_b` kept)',
    );
  });
});
