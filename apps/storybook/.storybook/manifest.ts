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
  attributes?: Item[];
  events?: Item[];
  slots?: Item[];
  cssProperties?: Item[];
  cssParts?: Item[];
  cssStates?: Item[];
}
interface Manifest {
  modules: { declarations?: Declaration[] }[];
}

/**
 * Markdown for a JSDoc description: the docs render descriptions as Markdown, where the
 * underscores of `original_inference_steps` would turn "inference" into italics. A word with an
 * underscore outside backticks becomes code.
 */
export function markdownDescription(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((piece, index) =>
      index % 2 === 1 ? piece : piece.replace(/\b[A-Za-z0-9]*_[A-Za-z0-9_]*\b/g, '`$&`'),
    )
    .join('');
}

/**
 * The manifest as the docs table should list it: public instance members only (not private
 * fields, Lit's static `styles`, or methods, which the table cannot call); CSS parts named
 * `::part(name)`, because the table keys every row by name and a part named like an attribute
 * (the stepper's `device` part and `device` attribute) would replace the attribute's row and
 * its control; descriptions as Markdown that shows them as written.
 */
export function documentedManifest<T>(manifest: T): T {
  const copy = structuredClone(manifest) as unknown as Manifest;
  for (const module of copy.modules) {
    for (const declaration of module.declarations ?? []) {
      if (declaration.description)
        declaration.description = markdownDescription(declaration.description);
      for (const list of [
        declaration.members,
        declaration.attributes,
        declaration.events,
        declaration.slots,
        declaration.cssProperties,
        declaration.cssParts,
      ]) {
        for (const item of list ?? []) {
          if (item.description) item.description = markdownDescription(item.description);
        }
      }
      for (const part of declaration.cssParts ?? []) part.name = `::part(${part.name})`;
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
    declaration.summary && markdownDescription(declaration.summary),
    declaration.description && markdownDescription(declaration.description),
    states.length > 0
      ? `**Custom states** (style them with \`${tagName}:state(name)\`):\n\n${stateLines.join('\n')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
