#!/usr/bin/env node
// The installed command. A committed file, not dist/cli.js itself: npm links bins when it
// installs, before a workspace's dist/ is built, and skips targets that do not exist yet.
import { runCli } from '../dist/cli.js';

runCli(process.argv.slice(2));
