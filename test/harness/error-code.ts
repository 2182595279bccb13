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
