import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

/** The SHA-256 of a file's bytes, as lowercase hex (read as a stream: no whole image held). */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The SHA-256 of a file's bytes (synchronous: `approve` checks and applies in one uninterrupted step). */
export function sha256FileSync(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
