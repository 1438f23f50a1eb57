import { pathToFileURL } from 'node:url';

/**
 * Loads a module by its resolved path (an optional backend package found with require.resolve, so that the
 * same lookup finds and loads it). The CommonJS build (scripts/build-cjs.mjs) replaces this module with one
 * that require()s the path: Jest's CommonJS runtime has no import().
 */
export async function importFile(file: string): Promise<unknown> {
  return import(pathToFileURL(file).href);
}
