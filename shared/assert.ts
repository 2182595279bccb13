// Assertions are for programmer errors: a broken invariant crashes loudly.
// Operating errors (bad input, dead servers) are GfsErrors and are handled.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`invariant broken: ${message}`);
}
