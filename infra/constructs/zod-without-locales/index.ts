// zod's own entry (node_modules/zod/index.js) over ./external.ts: the same exports and the same
// `z`, less `z.locales`.
import * as z from './external.js';

export * from './external.js';
export { z, z as default };
