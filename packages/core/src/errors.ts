/**
 * Thrown for a malformed scheduler configuration or a bad argument to `setTimesteps`.
 * `field` is the diffusers config key (snake_case) or argument name at fault, so a UI can point
 * at it and a message in a bug report names it.
 */
export class SchedulerConfigError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SchedulerConfigError';
    this.field = field;
  }
}
