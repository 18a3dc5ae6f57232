#!/usr/bin/env node
// The installed command. A committed file, not dist/cli.js itself: npm links bins when it
// installs, before a workspace's dist/ is built, and skips targets that do not exist yet.
// Paths on the command line are relative to the folder it runs in, like any command's.
const cliUrl = new URL('../dist/cli.js', import.meta.url);
let cli;
try {
  cli = await import(cliUrl.href);
} catch (error) {
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND';
  process.stderr.write(
    missing && String(error.message).includes(cliUrl.pathname)
      ? `genviz-export: ${cliUrl.pathname} is missing: build the package first (npm run build -w @genviz/model-export in its repository)\n`
      : `genviz-export: cannot start: ${String(error?.message ?? error).split('\n')[0]}\n`,
  );
  process.exit(1);
}
cli.runCli(process.argv.slice(2));
