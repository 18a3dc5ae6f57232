// Checks that every published package packs cleanly: publint finds nothing, and the tarball
// holds no tests, stories, build info, or source maps that point outside the package.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(import.meta.dirname, '..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const forbidden = [
  [/(^|\/)test\//, 'a test folder'],
  [/\.test\.[cm]?[jt]s(\.map)?$/, 'a test file'],
  [/\.stories\.[cm]?[jt]s(\.map)?$/, 'a story'],
  [/\.tsbuildinfo$/, 'TypeScript build info'],
  [/(^|\/)tsconfig[^/]*\.json$/, 'a tsconfig'],
  [/(^|\/)\.turbo\//, 'turbo cache'],
  [/(^|\/)turbo\.json$/, 'turbo config'],
];

let failures = 0;
const fail = (name, message) => {
  failures += 1;
  console.error(`  ✗ ${name}: ${message}`);
};

for (const workspace of rootManifest.workspaces) {
  const dir = join(root, workspace);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;

  const { messages } = await publint({ pkgDir: dir, level: 'warning', strict: true });
  for (const message of messages) fail(pkg.name, `publint: ${formatMessage(message, pkg)}`);

  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      encoding: 'utf8',
    }),
  );
  const files = packed.files.map((file) => file.path);
  for (const file of files) {
    for (const [pattern, what] of forbidden) {
      if (pattern.test(file)) fail(pkg.name, `${file} is ${what} and must not be published`);
    }
    if (file.endsWith('.map')) {
      const map = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      for (const source of map.sources ?? []) {
        const target = resolve(dirname(join(dir, file)), map.sourceRoot ?? '', source);
        if (relative(dir, target).startsWith('..')) {
          fail(pkg.name, `${file} maps to ${source}, outside the package`);
        } else if (!files.includes(relative(dir, target).split('\\').join('/'))) {
          fail(pkg.name, `${file} maps to ${source}, which is not published`);
        }
      }
    }
  }
  for (const required of ['package.json', 'README.md']) {
    if (!files.includes(required)) fail(pkg.name, `${required} is missing from the tarball`);
  }
  console.log(
    `  ✓ ${pkg.name}: ${files.length} files, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked${
      pkg.scripts?.prepack
        ? ' (before its prepack step; what it really packs: npm run test:installs)'
        : ''
    }`,
  );
}

if (failures > 0) {
  console.error(`\ncheck-packs: ${failures} problem(s).`);
  process.exit(1);
}
console.log('check-packs: every published package packs cleanly.');
