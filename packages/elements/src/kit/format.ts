import { GenvizError } from '@genviz/runtime';
import type { GenvizErrorCode } from '@genviz/runtime';

// Small helpers every element shares: how numbers are written for a reader, how errors are
// told apart, and the attribute converters.

export const formatSeconds = (ms: number): string =>
  `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export const formatPercent = (p: number): string =>
  `${(p * 100).toFixed(p > 0.995 && p < 1 ? 1 : 0)}%`;

export const errorCode = (error: unknown): GenvizErrorCode =>
  error instanceof GenvizError ? error.code : 'runtime-error';

/** An abort (a superseded or cancelled run) is not an error to show. */
export const isAborted = (error: unknown): boolean =>
  (error instanceof GenvizError && error.code === 'aborted') ||
  (error instanceof DOMException && error.name === 'AbortError');

export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Dev mode is Lit's: its development build keeps this set (https://lit.dev/docs/tools/development/). */
export const devMode = (): boolean =>
  (globalThis as { litIssuedWarnings?: unknown }).litIssuedWarnings !== undefined;

/**
 * Dispatches one of our typed events. A function outside the element classes, so the
 * custom-elements analyzer takes the events from the `@fires` tags instead of guessing names.
 */
export const emit = (target: EventTarget, event: Event): boolean => target.dispatchEvent(event);

/**
 * A number attribute that keeps what the author wrote: an empty or blank value is NaN (Lit's
 * `Number` converter makes it 0, which then passes or fails validation as a value nobody wrote).
 */
export const numberConverter = {
  fromAttribute: (value: string | null): number =>
    value === null || value.trim() === '' ? Number.NaN : Number(value),
  toAttribute: (value: number): string => String(value),
};

/** A digit 0-9, or `none` (null) for no class. */
export const digitConverter = {
  fromAttribute: (value: string | null): number | null =>
    value === null || value.trim() === '' || value.trim().toLowerCase() === 'none'
      ? null
      : Number(value),
  toAttribute: (value: number | null): string => (value === null ? 'none' : String(value)),
};

/**
 * How a rejected value is quoted in a message: the attribute's text when the author wrote one
 * that is not a number (`""`, `"abc"`), else the value.
 */
export function describeValue(element: Element, attribute: string, value: unknown): string {
  const written = element.getAttribute(attribute);
  // Only when the attribute's text is what made the NaN: a NaN property set after an
  // attribute that was a good number is the property's, not the stale attribute's.
  if (
    typeof value === 'number' &&
    Number.isNaN(value) &&
    written !== null &&
    Number.isNaN(numberConverter.fromAttribute(written))
  ) {
    return written.trim() === '' ? '"" (empty)' : JSON.stringify(written);
  }
  return String(value);
}

/** The article before a number as it is read aloud: "an 8", "an 11", "a 7". */
export const articleFor = (value: number | string): 'a' | 'an' =>
  /^(8|11|18)(\D|$)/.test(String(value)) ? 'an' : 'a';

/**
 * A model attribute (`model`, `classifier`, ...): removed, it goes back to the default model
 * instead of a null that would be fetched as ".../null". (An empty value stays empty:
 * `latent-model=""` means no latent model.)
 */
export const modelConverter = (fallback: string) => ({
  fromAttribute: (value: string | null): string => value ?? fallback,
});
