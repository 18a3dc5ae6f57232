import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A sibling path to write into before renaming onto `target`: same directory, so the rename is
 * atomic on one filesystem and a failed run never leaves a half-written `target`.
 */
export function temporarySibling(target: string): string {
  return join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes through `write(tempPath)`, then renames onto `target`; removes the temp file on failure. */
export async function writeAtomically(
  target: string,
  write: (tempPath: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = temporarySibling(target);
  try {
    await write(temp);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
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
 * Removes the staging folders of earlier builds of `target` whose process is gone. A build that
 * is killed (Ctrl-C, or turbo stopping its tasks when another one fails) cannot clean up after
 * itself; its folder names its process id, so the next build knows it is safe to delete. A
 * build still running next to this one keeps its folder.
 */
async function removeAbandonedStaging(target: string): Promise<void> {
  const prefix = `${basename(target)}.`;
  const pattern = /^(\d+)-[0-9a-f]{12}\.(tmp|old)$/;
  const entries = await readdir(dirname(target)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = pattern.exec(entry.slice(prefix.length));
    if (match && !isRunning(Number(match[1])))
      await rm(join(dirname(target), entry), { recursive: true, force: true });
  }
}

/**
 * Builds a whole directory in a temporary sibling and swaps it in at the end, so `build` either
 * replaces the output completely or leaves the previous one untouched.
 */
export async function replaceDirectoryAtomically(
  target: string,
  fill: (tempDir: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await removeAbandonedStaging(target);
  const staging = (suffix: string) =>
    `${target}.${process.pid}-${randomBytes(6).toString('hex')}.${suffix}`;
  const temp = staging('tmp');
  const old = staging('old');
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  // Two renames: the old output moves aside, the new one takes its place, then the old one goes.
  let movedOld = false;
  try {
    await rename(target, old);
    movedOld = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(temp, target);
  if (movedOld) await rm(old, { recursive: true, force: true });
}
