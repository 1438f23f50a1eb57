/** The two value ranges (see src/model.ts): re-exported here for the library API. */
export { RANGES, type Range } from '../model.js';
