// The optional config file (`--config FILE`, GFS_CONFIG): one JSON object with a section per
// command, `{ "master": { "port": 7070, "dead-after": "10s" }, "client": { "master": "…" } }`.
// JSON because Node parses it with no dependency and no ambiguity (no YAML `no` → false, no
// TOML parser in node_modules). Read and checked in full, whatever command runs, so a typo in
// any section is reported at once rather than on the day that command first starts; values are
// parsed later, by the same parser as the flag, only for the command that uses them.

import { readFileSync } from 'node:fs';

/** What a key may hold: `true`/`false` for a flag without a value, else a string or a number. */
export type KeyKind = 'boolean' | 'value';

/** The sections a file may have, each with its keys. */
export type ConfigSchema = ReadonlyMap<string, ReadonlyMap<string, KeyKind>>;

export type ConfigValue = string | number | boolean;

export interface ConfigFile {
  path: string;
  sections: ReadonlyMap<string, ReadonlyMap<string, ConfigValue>>;
}

/** A file that cannot be used: the message is the one line the CLI prints. */
export class ConfigFileError extends Error {}

export function readConfigFile(path: string, schema: ConfigSchema): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new ConfigFileError(`cannot read config file (${why}): ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`config file is not valid JSON (${(error as Error).message}): ${path}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigFileError(`config file is not a JSON object of sections: ${path}`);
  const sections = new Map<string, Map<string, ConfigValue>>();
  for (const [name, body] of Object.entries(parsed)) {
    const keys = schema.get(name);
    if (keys === undefined) {
      throw new ConfigFileError(
        `unknown section "${name}" in config file (known: ${[...schema.keys()].join(', ')}): ${path}`,
      );
    }
    if (!isPlainObject(body)) throw new ConfigFileError(`section "${name}" is not an object in config file: ${path}`);
    sections.set(name, checkSection(name, body, keys, path));
  }
  return { path, sections };
}

function checkSection(
  name: string,
  body: Record<string, unknown>,
  keys: ReadonlyMap<string, KeyKind>,
  path: string,
): Map<string, ConfigValue> {
  const values = new Map<string, ConfigValue>();
  for (const [key, value] of Object.entries(body)) {
    const kind = keys.get(key);
    if (kind === undefined) {
      throw new ConfigFileError(`unknown key "${name}.${key}" in config file: ${path}`);
    }
    const fits = kind === 'boolean' ? typeof value === 'boolean' : typeof value === 'string' || Number.isFinite(value);
    if (!fits) {
      const wanted = kind === 'boolean' ? 'true or false' : 'a string or a number';
      throw new ConfigFileError(`bad ${name}.${key} in config file (${wanted}): ${path}`);
    }
    values.set(key, value as ConfigValue);
  }
  return values;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
