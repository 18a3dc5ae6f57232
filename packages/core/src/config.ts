import { SchedulerConfigError } from './errors.js';

/** A diffusers `scheduler_config.json`, parsed: snake_case keys, `_class_name` selects the scheduler. */
export type SchedulerConfigJson = Readonly<Record<string, unknown>>;

export function readNumber(json: SchedulerConfigJson, key: string, fallback: number): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SchedulerConfigError(key, `expected a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
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

/** Throws for boolean sigma options diffusers has but we do not implement, when set to true. */
export function rejectEnabledFlags(json: SchedulerConfigJson, keys: readonly string[]): void {
  for (const key of keys) {
    if (readBoolean(json, key, false)) throw new SchedulerConfigError(key, 'is not supported');
  }
}
