// Preloaded with `node --import` by the benchmark: reports the process's peak RSS on stderr at exit.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(2, `\n__RSS_KB__ ${u.maxRSS}\n__CPU_MS__ ${(u.userCPUTime + u.systemCPUTime) / 1000}\n`);
});
