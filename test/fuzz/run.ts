// `npm run fuzz [count] [seed]`: the long fuzz run; prints each case and exits 1 on any finding.
import { fuzz } from './fuzz.js';

const count = Number(process.argv[2] ?? 400),
  seed = Number(process.argv[3] ?? 1);
const findings = await fuzz(count, seed, 2, 60_000, (s) => console.log(s));
console.log(`\n${count} cases, seed ${seed}: ${findings.length} findings`);
for (const f of findings) console.log(`  ${f.name}: ${f.problem}`);
process.exitCode = findings.length ? 1 : 0;
