import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

let installed: Promise<string> | undefined;

/**
 * The package as npm installs it, for tests that need a real process (signals, another working
 * folder): package.json, bin/genviz-export.js as committed, and dist/ transpiled from src/ now
 * (type-only transpiling: the type check is tsc's job). It lives under this package's
 * node_modules/.cache, so its imports resolve to the workspace's dependencies as an installed
 * copy's would. Returns the folder.
 */
export function installedPackage(): Promise<string> {
  installed ??= (async () => {
    const cache = join(packageDir, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    // Copies from earlier runs: a day is far longer than any run that may still use one.
    for (const entry of await readdir(cache, { withFileTypes: true })) {
      const path = join(cache, entry.name);
      if (
        entry.name.startsWith('genviz-export-test-') &&
        Date.now() - (await stat(path)).mtimeMs > 86_400_000
      )
        await rm(path, { recursive: true, force: true });
    }
    const root = await mkdtemp(join(cache, 'genviz-export-test-'));
    for (const file of await sources(join(packageDir, 'src'))) {
      const output = ts.transpileModule(await readFile(file, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ES2022,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: false,
        },
        fileName: file,
      }).outputText;
      const target = join(root, 'dist', relative(join(packageDir, 'src'), file)).replace(
        /\.ts$/,
        '.js',
      );
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, output);
    }
    await mkdir(join(root, 'bin'));
    await copyFile(
      join(packageDir, 'bin', 'genviz-export.js'),
      join(root, 'bin', 'genviz-export.js'),
    );
    await copyFile(join(packageDir, 'package.json'), join(root, 'package.json'));
    return root;
  })();
  return installed;
}

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <bin> ...args` in `cwd`. `whileRunning` gets the child (to signal it) and runs
 * alongside; the promise settles when the process ends.
 */
export function runBin(
  bin: string,
  args: readonly string[],
  cwd: string,
  whileRunning?: (child: ReturnType<typeof spawn>) => Promise<void>,
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    whileRunning?.(child).catch(reject);
  });
}
