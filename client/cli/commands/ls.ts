// `gfs ls [-l] [-R] [--json] PATH`: a directory's entries, or the file itself.

import type { Command } from 'commander';
import type { Entry } from '../../../shared/protocol/namespace.js';
import type { GfsClient } from '../../sdk/client.js';
import { CliContext } from '../context.js';
import { entryJson, formatLongListing } from '../format.js';
import { printLines } from '../options.js';
import { parseClusterTarget } from '../targets.js';

interface LsOptions {
  long?: boolean;
  recursive?: boolean;
  json?: boolean;
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list a directory (or show a file)')
    .argument('[path]', 'cluster path', 'gfs:/')
    .option('-l, --long', 'long format: mode, replication, size, mtime, name')
    .option('-R, --recursive', 'list subdirectories recursively')
    .option('--json', 'print JSON')
    .action(async (path: string, options: LsOptions, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const target = parseClusterTarget(path, context.defaultMaster);
        const client = context.client(target.master);
        const entry = await client.stat(target.path);
        const sections = await collect(client, entry, options.recursive ?? false);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(sections.flatMap((section) => section.entries.map(entryJson)))}\n`);
          return;
        }
        const lines: string[] = [];
        sections.forEach((section, i) => {
          if (options.recursive) {
            if (i > 0) lines.push('');
            lines.push(`${section.path}:`);
          }
          lines.push(...(options.long ? formatLongListing(section.entries) : section.entries.map((e) => e.name)));
        });
        printLines(lines);
      });
    });
}

interface Section {
  path: string;
  entries: Entry[];
}

/** The listing of `entry` and, with `recursive`, of every directory below it (depth first). */
async function collect(client: GfsClient, entry: Entry, recursive: boolean): Promise<Section[]> {
  if (entry.type === 'file') return [{ path: entry.path, entries: [entry] }];
  const entries = (await client.readdir(entry.path)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sections: Section[] = [{ path: entry.path, entries }];
  if (recursive) {
    for (const child of entries) {
      if (child.type === 'dir') sections.push(...(await collect(client, child, true)));
    }
  }
  return sections;
}
