// The policy schema as JSON Schema, for users outside TypeScript. The checked-in
// copy (schema/policy.schema.json) is generated from this and a test keeps it equal.
import { z } from 'zod';
import { POLICY_VERSION, PolicySchema } from './schema.js';

/** JSON Schema (draft 2020-12) of a policy file. */
export function policyJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(PolicySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    ...s,
    $id: `https://kcompart.invalid/schema/policy-v${POLICY_VERSION}.json`,
    title: `kcompart policy, version ${POLICY_VERSION}`,
  };
}
