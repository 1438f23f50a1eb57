/**
 * The allow-list a calibration recommends: the kinds its noise pairs show, less any kind a real change
 * also showed (so that no changed pair of the calibration set would pass), never `identical` (it needs no
 * allowing) and never `content` (structure no displacement explains is what a reviewer looks at).
 */
import type { Kind } from '../../model.js';
import { SEVERITY } from './kinds.js';

export function recommendAllow(noise: readonly Kind[], changed: readonly Kind[]): Kind[] {
  const seen = new Set(noise);
  for (const k of changed) seen.delete(k);
  seen.delete('identical');
  seen.delete('content');
  return [...seen].sort((a, b) => SEVERITY[a] - SEVERITY[b]);
}
