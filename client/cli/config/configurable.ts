// One configuration layer for the `gfs` command line (docs/configuration.md). Every option of a
// configurable command, and the program-wide `--master`, takes its value from, in this order: the
// flag, its GFS_* environment variable, the command's section of the config file, the default.
// Commander keeps the order (option value sources: 'cli' > 'env' > 'config' > 'default'); this
// module names the variables, reads the file, and turns a bad value into one line naming where
// it came from. It walks the options a command has when the program is built, so an option added
// to a command later is configurable with nothing else to change.

import { EventEmitter } from 'node:events';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigFileError, type ConfigSchema, type ConfigValue, type KeyKind, readConfigFile } from './config-file.js';
import { configKey, envVarName, SHARED_SECTION } from './names.js';

const EXIT_USAGE = 2;
const CONFIG_ENV = 'GFS_CONFIG';

export const PRECEDENCE = 'flag > environment variable > config file > default';

/**
 * Adds `--config FILE` to the program and makes `commands` (the long-running ones: servers, the
 * mount) configurable. The other commands' options say what one invocation does (`rm -r`,
 * `ls --json`) and stay flags only: a GFS_RECURSIVE left in a shell must never widen an `rm`.
 */
export function makeConfigurable(program: Command, commands: readonly Command[]): void {
  const shared = program.options.filter((option) => option.attributeName() !== 'version');
  program.addOption(
    new Option('--config <file>', 'JSON config file with a section per command (docs/configuration.md)').env(
      CONFIG_ENV,
    ),
  );
  for (const option of shared) configureOption(program, option);
  for (const command of commands) {
    for (const option of command.options) configureOption(command, option);
    command.addHelpText('after', commandHelp(command.name()));
  }
  for (const command of [program, ...program.commands]) {
    for (const option of command.options) reportBadFlag(command, option);
  }
  program.addHelpText('after', programHelp(commands));
  program.hook('preSubcommand', (_program, subcommand) => {
    // Help never depends on the file: `gfs master --help` must work while the file is being fixed.
    if (program.args.some((arg) => arg === '--help' || arg === '-h')) return;
    applyConfigFile(program, shared, subcommand, commands);
  });
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/**
 * Names the option's variable and reads it ourselves rather than with commander's handler, which
 * takes any value of a boolean's variable as true (GFS_READ_ONLY=0 would mount read-only) and
 * names the flag, not the variable, in its error. Commander still decides when to read it.
 */
function configureOption(command: Command, option: Option): void {
  option.env(envVarName(option));
  const event = `optionEnv:${option.name()}`;
  events(command).removeAllListeners(event);
  command.on(event, () => {
    const name = envVarName(option);
    const text = process.env[name] ?? '';
    // Set but empty counts as unset, as GFS_MASTER= always has.
    if (text === '') return;
    command.setOptionValueWithSource(option.attributeName(), valueFromText(command, option, text, name), 'env');
  });
}

/** A bad flag value is reported like a bad variable or file value: `bad --lease: "x": why`. */
function reportBadFlag(command: Command, option: Option): void {
  if (option.parseArg === undefined) return;
  events(command).prependListener(`option:${option.name()}`, (text: unknown) => {
    if (typeof text === 'string') parseWith(command, option, text, option.long ?? option.flags);
  });
}

/** A Command is an EventEmitter (its typings only declare `on`): option values arrive as events. */
function events(command: Command): EventEmitter {
  if (!(command instanceof EventEmitter)) throw new Error('commander Command is no longer an EventEmitter');
  return command;
}

function valueFromText(command: Command, option: Option, text: string, where: string): unknown {
  if (takesValue(option)) return parseWith(command, option, text, where);
  const on = parseSwitch(text);
  if (on === undefined) return badValue(command, where, text, 'not true or false (1/0, true/false, yes/no, on/off)');
  return option.negate ? !on : on;
}

function parseSwitch(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  return undefined;
}

/** The flag's own parser on a value from anywhere; its complaint becomes one usage line. */
function parseWith(command: Command, option: Option, text: string, where: string): unknown {
  if (option.parseArg === undefined) return text;
  try {
    return option.parseArg(text, command.getOptionValue(option.attributeName()));
  } catch (error) {
    if (error instanceof InvalidArgumentError) return badValue(command, where, text, error.message);
    throw error;
  }
}

function badValue(command: Command, where: string, text: string, why: string): never {
  return command.error(`bad ${where}: ${JSON.stringify(text)}: ${why}`, {
    exitCode: EXIT_USAGE,
    code: 'gfs.badValue',
  });
}

/**
 * Runs before the command's own parse: values set here have source 'config', which the command's
 * flags and variables then override. The program's options were parsed already, so for them a
 * value from a flag or a variable is kept.
 */
function applyConfigFile(
  program: Command,
  shared: readonly Option[],
  subcommand: Command,
  commands: readonly Command[],
) {
  const path = program.getOptionValue('config') as string | undefined;
  if (path === undefined || path === '') return;
  let file: ReturnType<typeof readConfigFile>;
  try {
    file = readConfigFile(path, schemaOf(shared, commands));
  } catch (error) {
    if (error instanceof ConfigFileError) program.error(error.message, { exitCode: EXIT_USAGE, code: 'gfs.config' });
    throw error;
  }
  const own = file.sections.get(subcommand.name());
  const common = file.sections.get(SHARED_SECTION);
  for (const option of shared) {
    const key = configKey(option);
    // A command's own section wins over the shared one (a chunkserver's `master`).
    const section = own?.has(key) ? subcommand.name() : SHARED_SECTION;
    const value = section === SHARED_SECTION ? common?.get(key) : own?.get(key);
    if (value !== undefined) setFromFile(program, option, value, `${section}.${key} in ${path}`);
  }
  if (!commands.includes(subcommand)) return;
  for (const option of subcommand.options) {
    const key = configKey(option);
    const value = own?.get(key);
    if (value !== undefined) setFromFile(subcommand, option, value, `${subcommand.name()}.${key} in ${path}`);
  }
}

function setFromFile(command: Command, option: Option, value: ConfigValue, where: string): void {
  const source = command.getOptionValueSource(option.attributeName());
  if (source !== undefined && source !== 'default') return;
  const parsed =
    typeof value === 'boolean' ? (option.negate ? !value : value) : parseWith(command, option, String(value), where);
  command.setOptionValueWithSource(option.attributeName(), parsed, 'config');
}

function schemaOf(shared: readonly Option[], commands: readonly Command[]): ConfigSchema {
  const keysOf = (options: readonly Option[]) =>
    new Map<string, KeyKind>(options.map((option) => [configKey(option), takesValue(option) ? 'value' : 'boolean']));
  const schema = new Map<string, ReadonlyMap<string, KeyKind>>([[SHARED_SECTION, keysOf(shared)]]);
  for (const command of commands) schema.set(command.name(), keysOf([...shared, ...command.options]));
  return schema;
}

function commandHelp(name: string): string {
  return [
    '',
    'Every option can also be set by its environment variable (env: above) or under its name',
    `without dashes in the "${name}" section of the config file (--config FILE or ${CONFIG_ENV}).`,
    `Precedence: ${PRECEDENCE}. See docs/configuration.md.`,
  ].join('\n');
}

function programHelp(commands: readonly Command[]): string {
  return [
    '',
    `Configuration: the options of ${commands.map((command) => command.name()).join(', ')} and --master can also`,
    `be set by GFS_* environment variables and in a JSON config file (--config FILE or ${CONFIG_ENV})`,
    `with a section per command and "${SHARED_SECTION}" for --master.`,
    `Precedence: ${PRECEDENCE}. See docs/configuration.md.`,
  ].join('\n');
}
