// The names one option goes by outside its flag (docs/configuration.md): `--dead-after` is the
// environment variable GFS_DEAD_AFTER and the key "dead-after" in its command's section of the
// config file. Derived from the flag, never listed by hand, so an option added to a command later
// gets both names with nothing else to change.

import type { Option } from 'commander';

export const ENV_PREFIX = 'GFS_';

/** The config file's section for the program-wide options (`--master`) every command shares. */
export const SHARED_SECTION = 'client';

/** The flag's long name without its dashes: `--dead-after` → `dead-after`. */
export function configKey(option: Option): string {
  const long = option.long;
  if (long === undefined) throw new Error(`option ${option.flags} has no long name to configure it by`);
  return long.replace(/^--/, '');
}

/** `--dead-after` → `GFS_DEAD_AFTER`. */
export function envVarName(option: Option): string {
  return `${ENV_PREFIX}${configKey(option).toUpperCase().replace(/-/g, '_')}`;
}
