import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { access, constants, copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExportError } from './errors.js';

/*
 * Every command writes its output under temporary names next to the target and renames once all
 * of it is good, so a failed or interrupted run leaves the previous output as it was. Temporary
 * names start with TEMPORARY_PREFIX (git-ignored at the repository root) and carry the process
 * id, so a later run can tell the leftovers of a killed one (kill -9, a crash) from those of a run
 * still going next to it. Renames are synchronous: a Ctrl-C handler (JavaScript, between two
 * events) can then never see half of a commit.
 */

/** The start of every temporary file or folder name genviz-export writes. */
export const TEMPORARY_PREFIX = '.genviz-export-';

const TEMPORARY_PATTERN = /^\.genviz-export-(\d+)-[0-9a-f]{12}(\..*)?\.(tmp|old)$/;
/** How staging folders of builds were named before TEMPORARY_PREFIX: `<target>.<pid>-<hex>.tmp`. */
const LEGACY_STAGING_PATTERN = /^(\d+)-[0-9a-f]{12}\.(tmp|old)$/;

/** Folders whose abandoned temporaries this process has removed already. */
const swept = new Set<string>();

/**
 * Paths of this process's temporaries that exist now, removed on SIGINT/SIGTERM: a `tmp` is
 * output not yet in place, an `old` the output a commit replaced and has not deleted yet.
 */
const liveTemporaries = new Set<string>();

export interface RemovedTemporaries {
  /** Unfinished output that was removed: the earlier output is unchanged. */
  readonly unfinished: readonly string[];
  /** Replaced output that was removed after the new output was in place. */
  readonly replaced: readonly string[];
}

function temporaryName(target: string, suffix: 'tmp' | 'old'): string {
  return join(
    dirname(target),
    `${TEMPORARY_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.${basename(target)}.${suffix}`,
  );
}

/**
 * Removes every temporary of this process, synchronously (for a signal handler, which must finish
 * before the process exits), and says what they were.
 */
export function removeLiveTemporariesSync(): RemovedTemporaries {
  const unfinished: string[] = [];
  const replaced: string[] = [];
  for (const path of liveTemporaries) {
    if (!existsSync(path)) continue;
    try {
      // A write still in flight on libuv's thread pool can add a file while the folder goes:
      // rmSync retries then (ENOTEMPTY). What still fails is left to the next run's sweep.
      rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      (path.endsWith('.old') ? replaced : unfinished).push(path);
    } catch {
      // The next run in this folder removes it: its process id is gone by then.
    }
  }
  liveTemporaries.clear();
  return { unfinished, replaced };
}

/** The live temporaries, for tests. */
export function liveTemporaryPaths(): string[] {
  return [...liveTemporaries];
}

const FS_PROBLEMS: Readonly<Record<string, string>> = Object.freeze({
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of this path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists and is not a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
});

/**
 * A file-system error (EACCES, EROFS, ENOTDIR, ENOSPC, ...) as one line naming the path, or
 * undefined for anything else.
 */
export function describeFileSystemError(error: unknown): ExportError | undefined {
  if (error instanceof ExportError || !(error instanceof Error)) return undefined;
  const { code, path, dest } = error as NodeJS.ErrnoException & { dest?: string };
  if (code === undefined || path === undefined) return undefined;
  const problem = FS_PROBLEMS[code];
  if (problem === undefined) return undefined;
  // A rename names both ends; the one we could not write is the destination's folder.
  const where = (code === 'EACCES' || code === 'EPERM') && dest ? dirname(dest) : path;
  return new ExportError(`cannot write: ${problem}`, { file: where, cause: error });
}

async function withPathErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw describeFileSystemError(error) ?? error;
  }
}

/**
 * Checks before any work starts that `dir` is (or can become) a folder this process may write in,
 * so a build does not run for minutes and then fail on its output path. `option` names the
 * command-line option the path came from.
 */
export async function assertWritableFolder(dir: string, option: string): Promise<void> {
  const absolute = resolve(dir);
  let existing = absolute;
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw describeFileSystemError(error) ?? error;
    });
    if (info !== undefined) {
      if (!info.isDirectory()) {
        throw new ExportError(
          existing === absolute
            ? `is a file, not a folder (${option} names the folder to write into)`
            : `is a file, so ${dir} cannot be created under it (${option} names a folder)`,
          { file: existing === absolute ? dir : existing },
        );
      }
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ExportError(
      `cannot write: ${FS_PROBLEMS[(error as NodeJS.ErrnoException).code ?? ''] ?? 'not writable'} (${option})`,
      { file: existing === absolute ? dir : existing, cause: error },
    );
  }
}

/**
 * A set of output files that appear together or not at all. `stage(target)` hands out a temporary
 * sibling to write; `commit` renames every one onto its target (moving the files it replaces aside
 * first, and putting them back if a rename fails); `abort` removes the temporaries.
 */
export class OutputTransaction {
  private readonly staged: { readonly temp: string; readonly target: string }[] = [];
  private done = false;

  /** A temporary path to write `target`'s content to; its folder exists when this returns. */
  async stage(target: string): Promise<string> {
    if (this.done) throw new Error('this output transaction is finished');
    await withPathErrors(() => mkdir(dirname(target), { recursive: true }));
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory())
      throw new ExportError('is a folder, so no file can be written in its place', {
        file: target,
      });
    const existing = this.staged.find((entry) => entry.target === target);
    if (existing !== undefined) return existing.temp;
    const dir = dirname(resolve(target));
    if (!swept.has(dir)) {
      swept.add(dir);
      await removeAbandonedTemporaries(dir);
    }
    const temp = temporaryName(target, 'tmp');
    liveTemporaries.add(temp);
    this.staged.push({ temp, target });
    return temp;
  }

  /** The temporary path staged for `target`, if any. */
  temporaryOf(target: string): string | undefined {
    return this.staged.find((entry) => entry.target === target)?.temp;
  }

  /** Renames every staged file onto its target, in the order they were staged. */
  async commit(): Promise<void> {
    this.done = true;
    const replaced: { target: string; backup: string }[] = [];
    const placed: string[] = [];
    try {
      for (const { temp, target } of this.staged) {
        if (existsSync(target)) {
          const backup = temporaryName(target, 'old');
          liveTemporaries.add(backup);
          renameSync(target, backup);
          replaced.push({ target, backup });
        }
        renameSync(temp, target);
        liveTemporaries.delete(temp);
        placed.push(target);
      }
    } catch (error) {
      for (const target of placed.reverse()) rmSync(target, { force: true });
      for (const { target, backup } of replaced.reverse()) {
        renameSync(backup, target);
        liveTemporaries.delete(backup);
      }
      await this.abort();
      throw describeFileSystemError(error) ?? error;
    }
    for (const { backup } of replaced) {
      await rm(backup, { force: true, recursive: true });
      liveTemporaries.delete(backup);
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    for (const { temp } of this.staged) {
      await rm(temp, { force: true, recursive: true });
      liveTemporaries.delete(temp);
    }
  }
}

/** Runs `work` with a transaction, commits it when `work` succeeds and aborts it when it throws. */
export async function withOutputs<T>(work: (outputs: OutputTransaction) => Promise<T>): Promise<T> {
  const outputs = new OutputTransaction();
  let result: T;
  try {
    result = await work(outputs);
  } catch (error) {
    await outputs.abort();
    throw describeFileSystemError(error) ?? error;
  }
  await outputs.commit();
  return result;
}

/**
 * Writes through `write(tempPath)`, then renames onto `target`; removes the temp file on failure.
 * With `outputs`, the rename waits for that transaction's commit.
 */
export async function writeAtomically(
  target: string,
  write: (tempPath: string) => Promise<void>,
  outputs?: OutputTransaction,
): Promise<void> {
  if (outputs !== undefined) {
    await write(await outputs.stage(target));
    return;
  }
  await withOutputs(async (own) => write(await own.stage(target)));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries that earlier runs left in `dir` and whose process is gone. A run that
 * is killed outright (kill -9, or turbo stopping its tasks when another one fails) cannot clean
 * up after itself; its temporaries name its process id, so the next run knows it is safe to
 * delete them. A run still going next to this one keeps its own. `legacyTarget` also sweeps the
 * `<target>.<pid>-<hex>.tmp` staging folders of builds before TEMPORARY_PREFIX.
 */
export async function removeAbandonedTemporaries(
  dir: string,
  legacyTarget?: string,
): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const legacyPrefix = legacyTarget === undefined ? undefined : `${basename(legacyTarget)}.`;
  for (const entry of entries) {
    let pid: string | undefined = TEMPORARY_PATTERN.exec(entry)?.[1];
    if (pid === undefined && legacyPrefix !== undefined && entry.startsWith(legacyPrefix))
      pid = LEGACY_STAGING_PATTERN.exec(entry.slice(legacyPrefix.length))?.[1];
    if (pid !== undefined && !isRunning(Number(pid)))
      await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** Hard-links (or, across file systems, copies) a file or folder tree to `to`. */
async function linkTree(from: string, to: string): Promise<void> {
  const info = await stat(from);
  if (info.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from)) await linkTree(join(from, entry), join(to, entry));
    return;
  }
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

export interface ReplaceDirectoryOptions {
  /**
   * Entries of the folder being replaced to keep in the new one (hard-linked in before `fill`
   * runs, so `fill` may still overwrite them): e.g. the models a `build --only` does not rebuild.
   */
  readonly keep?: (entry: string) => boolean;
}

/**
 * Fills a staging folder next to `target` and swaps it in at the end, so the output is either
 * replaced completely or left untouched, and never seen half-written.
 */
export async function replaceDirectoryAtomically<T>(
  target: string,
  fill: (tempDir: string) => Promise<T>,
  options: ReplaceDirectoryOptions = {},
): Promise<T> {
  const parent = dirname(resolve(target));
  await withPathErrors(() => mkdir(parent, { recursive: true }));
  await removeAbandonedTemporaries(parent, target);
  const temp = temporaryName(target, 'tmp');
  liveTemporaries.add(temp);
  let result: T;
  try {
    await withPathErrors(() => mkdir(temp));
    const keep = options.keep;
    if (keep !== undefined && existsSync(target)) {
      for (const entry of await readdir(target))
        if (keep(entry)) await linkTree(join(target, entry), join(temp, entry));
    }
    result = await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    liveTemporaries.delete(temp);
    throw describeFileSystemError(error) ?? error;
  }
  // Two synchronous renames: the old output moves aside, the new one takes its place.
  const old = temporaryName(target, 'old');
  let movedOld = false;
  try {
    if (existsSync(target)) {
      liveTemporaries.add(old);
      renameSync(target, old);
      movedOld = true;
    }
    renameSync(temp, target);
    liveTemporaries.delete(temp);
  } catch (error) {
    if (movedOld && !existsSync(target)) renameSync(old, target);
    liveTemporaries.delete(old);
    rmSync(temp, { recursive: true, force: true });
    liveTemporaries.delete(temp);
    throw describeFileSystemError(error) ?? error;
  }
  if (movedOld) await rm(old, { recursive: true, force: true });
  liveTemporaries.delete(old);
  return result;
}
