// chmod's MODE argument: octal (`644`, `0755`, `1777`) or symbolic like chmod(1) (`u+x`,
// `go-w`, `a=r`, `u+x,g+r`), the latter applied to the entry's current mode.

import { GfsError } from '../../shared/errors.js';

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const PERM_BITS: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };
const CLAUSE = /^([ugoa]*)([+=-])([rwxst]*)$/;

export type ModeSpec = (current: number) => number;

export function parseModeSpec(text: string): ModeSpec {
  if (/^[0-7]{1,4}$/.test(text)) {
    const mode = Number.parseInt(text, 8);
    return () => mode;
  }
  const clauses = text.split(',').map((clause) => {
    const match = CLAUSE.exec(clause);
    if (match === null) {
      throw new GfsError('INVALID_ARGUMENT', 'not a mode (octal like 644, or symbolic like u+x,go-w)', text);
    }
    const who = [...(match[1] || 'a')].reduce((bits, letter) => bits | (WHO_BITS[letter] ?? 0), 0);
    const perms = [...(match[3] ?? '')].reduce((bits, letter) => bits | (PERM_BITS[letter] ?? 0), 0);
    return { op: match[2], mask: who & perms, who };
  });
  return (current) =>
    clauses.reduce((mode, { op, mask, who }) => {
      if (op === '+') return mode | mask;
      if (op === '-') return mode & ~mask;
      return (mode & ~(who & 0o7777)) | mask;
    }, current & 0o7777);
}
