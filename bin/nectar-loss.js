#!/usr/bin/env node
import { relaunched } from '../dist/src/cli/relaunch.js';

// `batch` on Linux runs in a child process with glibc's allocator tuned (src/cli/relaunch.ts).
const code = await relaunched(process.argv);
if (code !== undefined) process.exitCode = code;
else {
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(process.argv);
}
