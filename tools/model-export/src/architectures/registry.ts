import type { Architecture, NetworkBuilder } from './architecture.js';
import * as listed from './index.js';

function byType(
  architectures: readonly Architecture[],
): Readonly<Record<string, Readonly<Record<string, NetworkBuilder>>>> {
  const table: Record<string, Readonly<Record<string, NetworkBuilder>>> = {};
  for (const architecture of architectures) {
    if (architecture.type in table)
      throw new Error(`two architectures are registered as "${architecture.type}"`);
    table[architecture.type] = architecture.networks;
  }
  return Object.freeze(table);
}

// The annotation makes an export of ./index.ts that is not an Architecture a type error.
const architectures: Readonly<Record<string, Architecture>> = listed;

/** The builders by `architecture.type`, then by network name. */
export const ARCHITECTURES = byType(Object.values(architectures));
