import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/**
 * Builds a whole directory in a temporary sibling and swaps it in at the end, so `build` either
 * replaces the output completely or leaves the previous one untouched.
 */
export async function replaceDirectoryAtomically(
  target: string,
  fill: (tempDir: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const old = `${target}.${randomBytes(6).toString('hex')}.old`;
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
