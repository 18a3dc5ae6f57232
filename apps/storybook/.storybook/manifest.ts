// Reading the custom-elements manifest for the docs pages.

interface Item {
  name: string;
  description?: string;
  privacy?: string;
  static?: boolean;
  kind?: string;
}
interface Declaration {
  tagName?: string;
  description?: string;
  summary?: string;
  members?: Item[];
  cssStates?: Item[];
}
interface Manifest {
  modules: { declarations?: Declaration[] }[];
}

/**
 * The manifest as the docs table should list it: public instance members only (not private
 * fields, Lit's static `styles`, or methods, which the table cannot call).
 */
export function documentedManifest<T>(manifest: T): T {
  const copy = structuredClone(manifest) as unknown as Manifest;
  for (const module of copy.modules) {
    for (const declaration of module.declarations ?? []) {
      declaration.members = declaration.members?.filter(
        (member) =>
          member.kind === 'field' &&
          !member.static &&
          member.privacy !== 'private' &&
          member.privacy !== 'protected' &&
          !member.name.startsWith('#'),
      );
    }
  }
  return copy as unknown as T;
}

/** An element's description for its docs page, with its custom states listed. */
export function elementDescription(manifest: unknown, tagName: string): string | null {
  const declaration = (manifest as Manifest).modules
    .flatMap((module) => module.declarations ?? [])
    .find((candidate) => candidate.tagName === tagName);
  if (!declaration) return null;
  const states = declaration.cssStates ?? [];
  const stateLines = states.map(
    (state) => `- \`:state(${state.name})\`${state.description ? `: ${state.description}` : ''}`,
  );
  return [
    declaration.summary,
    declaration.description,
    states.length > 0
      ? `**Custom states** (style them with \`${tagName}:state(name)\`):\n\n${stateLines.join('\n')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
