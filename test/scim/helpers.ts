/** Shared by the SCIM unit tests. */
import { ScimError } from '../../src/scim/index.js';

/** The ScimError `run` throws; fails the test when it throws nothing or something else. */
export function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError, nothing was thrown');
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A PatchOp body around operations quoted as JSON text (exactly as NOTES-scim-clients.md shows them). */
export function patchBody(...operations: string[]): unknown {
  return JSON.parse(`{"schemas":["${PATCH_OP}"],"Operations":[${operations.join(',')}]}`);
}
