import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as listed from '../src/architectures/index.js';
import { ARCHITECTURES } from '../src/architectures/registry.js';

const dir = new URL('../src/architectures/', import.meta.url);

describe('architectures', () => {
  it('builders import the shared module, never the index that lists them (no import cycle)', async () => {
    for (const file of await readdir(dir)) {
      if (!file.endsWith('.ts') || file === 'registry.ts') continue;
      const source = await readFile(new URL(file, dir), 'utf8');
      const imports = [...source.matchAll(/from '(\.[^']+)'/g)].map((match) => match[1]);
      expect(imports, file).not.toContain('./index.js');
      expect(imports, file).not.toContain('./registry.js');
    }
  });

  it('the index is one export line per architecture, and each is registered by its type', async () => {
    const index = await readFile(new URL('index.ts', dir), 'utf8');
    const code = index
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('//'));
    for (const line of code) expect(line).toMatch(/^export \{ \w+ \} from '\.\/[\w-]+\.js';$/);
    const types = Object.values(listed).map((architecture) => architecture.type);
    expect(code).toHaveLength(types.length);
    expect(Object.keys(ARCHITECTURES).sort()).toEqual([...types].sort());
    for (const architecture of Object.values(listed))
      expect(ARCHITECTURES[architecture.type]).toBe(architecture.networks);
  });
});
