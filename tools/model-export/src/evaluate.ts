import type { Reporter } from './reporter.js';
import { ExportError } from './errors.js';

/** Placeholder until the evaluation lands (see README). */
export async function evaluateCommand(_values: Record<string, unknown>, _reporter: Reporter, _out: (text: string) => void): Promise<number> {
  throw new ExportError('evaluate is not implemented yet');
}
