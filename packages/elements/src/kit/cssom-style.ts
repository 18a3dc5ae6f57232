import { noChange, nothing } from 'lit';
import type { AttributePart } from 'lit';
import { Directive, PartType, directive } from 'lit/directive.js';
import type { PartInfo } from 'lit/directive.js';

/**
 * `style=${cssomStyle({ left: '10%', '--k': 'red' })}`: sets the properties through the CSSOM
 * only. Lit's styleMap writes its first render as a style attribute string, which a strict
 * Content-Security-Policy (style-src without 'unsafe-inline') refuses; CSSOM writes are allowed.
 */
class CssomStyleDirective extends Directive {
  #previous = new Set<string>();

  constructor(partInfo: PartInfo) {
    super(partInfo);
    if (partInfo.type !== PartType.ATTRIBUTE || partInfo.name !== 'style') {
      throw new Error('cssomStyle() belongs in a style attribute binding.');
    }
  }

  render(_styles: Readonly<Record<string, string>>): typeof nothing {
    return nothing;
  }

  override update(part: AttributePart, [styles]: [Readonly<Record<string, string>>]): unknown {
    const style = (part.element as HTMLElement).style;
    for (const name of this.#previous) if (!(name in styles)) style.removeProperty(name);
    for (const [name, value] of Object.entries(styles)) style.setProperty(name, value);
    this.#previous = new Set(Object.keys(styles));
    return noChange;
  }
}

export const cssomStyle = directive(CssomStyleDirective);
