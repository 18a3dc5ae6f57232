/**
 * One error type for everything a model author can get wrong: it names the file (and the tensor,
 * where there is one) so the CLI can print a single line that says what to fix.
 */
export class ExportError extends Error {
  readonly file: string | undefined;
  readonly tensor: string | undefined;

  constructor(message: string, where: { file?: string; tensor?: string; cause?: unknown } = {}) {
    const location = [
      where.file,
      where.tensor === undefined ? undefined : `tensor "${where.tensor}"`,
    ]
      .filter((part): part is string => part !== undefined)
      .join(': ');
    super(location ? `${location}: ${message}` : message, { cause: where.cause });
    this.name = 'ExportError';
    this.file = where.file;
    this.tensor = where.tensor;
  }
}
