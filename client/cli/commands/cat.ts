// `gfs cat PATH...`: contents as raw bytes on stdout, streamed with backpressure.

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { parseTarget } from '../targets.js';

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description('print file contents')
    .argument('<paths...>', 'cluster paths (gfs:/...), local paths or - for stdin')
    .action(async (paths: string[], _options: unknown, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        for (const path of paths) {
          const target = parseTarget(path, context.defaultMaster);
          let source: Readable;
          if (target.kind === 'cluster') source = context.client(target.master).createReadStream(target.path);
          else if (target.kind === 'local') source = createReadStream(target.path);
          else source = process.stdin;
          await pipeline(source, process.stdout, { end: false });
        }
      });
    });
}
