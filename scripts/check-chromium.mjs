// The browser tests run in Debian's Chromium, never in a browser downloaded by a test tool.
// Stop at once with the exact fix rather than failing later with an obscure Playwright error.
import { existsSync } from 'node:fs';

const chromium = process.env.GENVIZ_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`\ngenviz: Chromium was not found at ${chromium}. The browser tests need it. Install it with:\n
    sudo apt-get update && sudo apt-get install -y chromium\n
(or point GENVIZ_CHROMIUM at another Chromium binary).\n`);
  process.exit(1);
}
