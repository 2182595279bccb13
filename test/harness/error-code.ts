// The GfsError code an action fails with (undefined when it succeeds): tests assert on codes,
// never on message text.

import { GfsError } from '../../shared/errors.js';

export function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof GfsError ? error.code : `not a GfsError: ${String(error)}`;
  }
  return undefined;
}

/** The GfsError code a promise rejects with (undefined when it resolves). */
export async function codeOfAsync(action: Promise<unknown>): Promise<string | undefined> {
  try {
    await action;
  } catch (error) {
    return error instanceof GfsError ? error.code : `not a GfsError: ${String(error)}`;
  }
  return undefined;
}
