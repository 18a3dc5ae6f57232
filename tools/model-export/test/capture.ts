import { main } from '../src/cli.js';
import { describeFailure } from '../src/cli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in this process as the bin would, capturing what it prints: the exit code, and for
 * a failure the one line `genviz-export: ...` that runCli prints.
 */
export async function runMain(argv: readonly string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((chunk: string) =>
    stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) =>
    stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } catch (error) {
    const failure = describeFailure(error);
    stderr.push(`genviz-export: ${failure.line}\n`);
    code = failure.code;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** The lines of stderr that are not progress (progress lines start with a time or spaces). */
export function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line.startsWith('genviz-export:'));
}
