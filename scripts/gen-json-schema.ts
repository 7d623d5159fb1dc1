// Writes schema/policy.schema.json from the zod schema (npm run gen:schema).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyJsonSchema } from '../src/policy/index.js';

const root = join(import.meta.dirname, '../..');
mkdirSync(join(root, 'schema'), { recursive: true });
writeFileSync(join(root, 'schema/policy.schema.json'), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log('wrote schema/policy.schema.json');
