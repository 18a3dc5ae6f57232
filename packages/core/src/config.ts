import { SchedulerConfigError } from './errors.js';
import { SIGMA_RAMPS } from './timesteps.js';
import type { SigmaRamp } from './timesteps.js';

/** A diffusers `scheduler_config.json`, parsed: snake_case keys, `_class_name` selects the scheduler. */
export type SchedulerConfigJson = Readonly<Record<string, unknown>>;

export function readNumber(json: SchedulerConfigJson, key: string, fallback: number): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SchedulerConfigError(key, `expected a finite number, got ${describe(value)}`);
  }
  return value;
}

/**
 * A number that may also be -Infinity or Infinity (diffusers' `lambda_min_clipped` defaults to
 * `-float("inf")`, which Python's json writes as `-Infinity`); NaN is refused.
 */
export function readExtendedNumber(
  json: SchedulerConfigJson,
  key: string,
  fallback: number,
): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new SchedulerConfigError(key, `expected a number or +-Infinity, got ${describe(value)}`);
  }
  return value;
}

/** JSON.stringify writes NaN and Infinity as null: name them instead. */
function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

const NON_FINITE_TOKENS: Readonly<Record<string, number>> = Object.freeze({
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
});

/**
 * Parses the text of a `scheduler_config.json` as Python's `json` module writes it: standard JSON
 * plus the bare tokens `NaN`, `Infinity` and `-Infinity` (diffusers saves
 * `"lambda_min_clipped": -Infinity`), which `JSON.parse` rejects. Those tokens outside strings
 * become the numbers; everything else is parsed by `JSON.parse`. Throws a SyntaxError on bad JSON.
 */
export function parseSchedulerConfig(text: string): SchedulerConfigJson {
  // A string no real config holds (it starts with NUL), written escaped into the JSON text.
  const marker = '\u0000genviz-non-finite:';
  const escapedMarker = '\\u0000genviz-non-finite:';
  let rewritten = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    for (const token of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(token, i)) {
        rewritten += `${text.slice(copiedUpTo, i)}"${escapedMarker}${token}"`;
        i += token.length - 1;
        copiedUpTo = i + 1;
        break;
      }
    }
  }
  rewritten += text.slice(copiedUpTo);
  const parsed: unknown = JSON.parse(rewritten, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker)
      ? NON_FINITE_TOKENS[value.slice(marker.length)]
      : value,
  );
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SchedulerConfigError('_class_name', 'a scheduler config must be a JSON object');
  }
  return parsed as SchedulerConfigJson;
}

export function readOptionalNumber(json: SchedulerConfigJson, key: string): number | null {
  const value = json[key];
  if (value === undefined || value === null) return null;
  return readNumber(json, key, 0);
}

export function readInteger(
  json: SchedulerConfigJson,
  key: string,
  fallback: number,
  min: number,
): number {
  const value = readNumber(json, key, fallback);
  if (!Number.isInteger(value) || value < min) {
    throw new SchedulerConfigError(key, `expected an integer >= ${min}, got ${value}`);
  }
  return value;
}

export function readBoolean(json: SchedulerConfigJson, key: string, fallback: boolean): boolean {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    throw new SchedulerConfigError(key, `expected true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readEnum<T extends string>(
  json: SchedulerConfigJson,
  key: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new SchedulerConfigError(
      key,
      `unknown value ${JSON.stringify(value)}; expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return value as T;
}

export function readNumberArray(json: SchedulerConfigJson, key: string): number[] | null {
  const value = json[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new SchedulerConfigError(key, 'expected an array of finite numbers');
  }
  return value as number[];
}

/**
 * Which sigma ramp a config selects with use_karras_sigmas / use_exponential_sigmas /
 * use_beta_sigmas (null for none); more than one is refused, as diffusers' constructors do.
 */
export function readSigmaRamp(json: SchedulerConfigJson): SigmaRamp | null {
  const enabled = SIGMA_RAMPS.filter((ramp) => readBoolean(json, `use_${ramp}_sigmas`, false));
  if (enabled.length > 1) {
    throw new SchedulerConfigError(
      `use_${enabled[1]}_sigmas`,
      `only one of use_karras_sigmas, use_exponential_sigmas and use_beta_sigmas can be set (got ${enabled.map((r) => `use_${r}_sigmas`).join(' and ')})`,
    );
  }
  return enabled[0] ?? null;
}

/** Throws for boolean sigma options diffusers has but we do not implement, when set to true. */
export function rejectEnabledFlags(json: SchedulerConfigJson, keys: readonly string[]): void {
  for (const key of keys) {
    if (readBoolean(json, key, false)) throw new SchedulerConfigError(key, 'is not supported');
  }
}
