// Child-process probe for the launcher tests: starts headless Chromium as the compute host would, prints
// its pid as one JSON line, then waits to be killed.
import { chromiumLauncher } from '../../src-main/compute/chromium-launcher.js';

const launched = await chromiumLauncher()('about:blank');
process.stdout.write(JSON.stringify({ browser: launched.pid }) + '\n');
setInterval(() => {}, 1000);
