// `gfs trash [--json] [PATH]`: what deletes (and overwrites, and renames over a file) left in the
// trash, oldest deletion first: one line per entry, `<original path><TAB><deletion time>` (ISO
// 8601; the path may hold spaces, the time never holds a tab). With PATH, only entries at or below
// it. `--json`: `[{ path, type, size, files, deletedAt, expiresAt }]`.

import type { Command } from 'commander';
import { isSameOrBelow } from '../../../shared/paths.js';
import type { TrashEntry } from '../../../shared/protocol/namespace.js';
import { CliContext } from '../context.js';
import { printLines } from '../options.js';
import { parseClusterTarget } from '../targets.js';

export function registerTrash(program: Command): void {
  program
    .command('trash')
    .description('list deleted files and directories that can still be restored')
    .argument('[path]', 'only entries deleted at or below this cluster path', 'gfs:/')
    .option('--json', 'print JSON')
    .action(async (path: string, options: { json?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const target = parseClusterTarget(path, context.defaultMaster);
        const entries = (await context.client(target.master).trash()).filter((entry) =>
          isSameOrBelow(entry.path, target.path),
        );
        if (options.json) process.stdout.write(`${JSON.stringify(entries.map(trashJson))}\n`);
        else printLines(entries.map(formatTrashLine));
      });
    });
}

export function formatTrashLine(entry: TrashEntry): string {
  return `${entry.path}\t${entry.deletedAt}`;
}

export function trashJson(entry: TrashEntry) {
  const { path, type, size, files, deletedAt, expiresAt } = entry;
  return { path, type, size, files, deletedAt, expiresAt };
}
