// The sample's config with nectar-loss's reporter writing a results file, for `nectar-loss report`.
import base from './playwright.config.js';

export default {
  ...base,
  reporter: [['list'], ['nectar-loss/reporter', { results: 'nectar-loss/results.ndjson' }]],
};
