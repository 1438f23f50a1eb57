// Preloaded with `node --import` by the benchmark: reports the process's peak RSS on stderr at exit.
import { writeSync } from 'node:fs';

process.on('exit', () => writeSync(2, `\n__RSS_KB__ ${process.resourceUsage().maxRSS}\n`));
