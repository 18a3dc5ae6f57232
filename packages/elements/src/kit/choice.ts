import { html } from 'lit';
import type { TemplateResult } from 'lit';

/**
 * A row of toggle buttons for one choice (a view, a mode, a space): each an `aria-pressed`
 * button in a labelled group, the chosen one pressed. `part` names the group; each button
 * carries `button` and `buttonPart`.
 */
export function renderChoice<T extends string>(options: {
  readonly part: string;
  readonly label: string;
  readonly buttonPart: string;
  readonly choices: readonly T[];
  readonly labels: Readonly<Record<T, string>>;
  readonly current: T;
  readonly choose: (choice: T) => void;
  readonly disabled?: (choice: T) => boolean;
}): TemplateResult {
  return html`<div part=${options.part} class="choice" role="group" aria-label=${options.label}>
    ${options.choices.map(
      (choice) =>
        html`<button
          part="button ${options.buttonPart}"
          type="button"
          aria-pressed=${options.current === choice ? 'true' : 'false'}
          ?disabled=${options.disabled?.(choice) ?? false}
          @click=${() => options.choose(choice)}
        >
          ${options.labels[choice]}
        </button>`,
    )}
  </div>`;
}
