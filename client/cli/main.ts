#!/usr/bin/env node
// Entry point of the `gfs` command: runs one command and turns every failure into a single
// stderr line (`gfs: <what failed>: <path or address>`) with exit 1, or exit 2 for bad usage.

import { CommanderError } from 'commander';
import { describeError } from './context.js';
import { buildProgram } from './program.js';
import { errnoOf } from './stores.js';

// Users see one line per failure, never Node's warnings.
process.removeAllListeners('warning');
process.on('warning', () => undefined);

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function fail(error: unknown): never {
  if (error instanceof CommanderError) {
    // Help and --version asked for (`gfs help cp`, `gfs --version`) are successes.
    if (error.exitCode === 0) process.exit(0);
    // `gfs` alone prints the help on stderr; other usage errors get one line.
    if (error.code !== 'commander.help') process.stderr.write(`gfs: ${error.message.replace(/^error: /, '')}\n`);
    process.exit(EXIT_USAGE);
  }
  // A closed stdout (`gfs cat x | head`) is the reader's choice, not a failure.
  if (errnoOf(error) === 'EPIPE') process.exit(0);
  process.stderr.write(`${describeError(error)}\n`);
  process.exit(EXIT_FAILURE);
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);
process.stdout.on('error', fail);

/** Resolves once everything written to stdout has reached the OS (a pipe may still be queued). */
function stdoutFlushed(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

try {
  await buildProgram().parseAsync(process.argv);
  // process.exit() drops output still queued for a slow pipe reader; wait for it first.
  await stdoutFlushed();
  process.exit(0);
} catch (error) {
  fail(error);
}
