// `gfs cp [-r] SRC... DST` between local files, clusters and stdin/stdout, with POSIX cp's
// destination rules (cp-plan.ts) and atomic placement (copier.ts).

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { isSameOrBelow } from '../../../shared/paths.js';
import { CliContext } from '../context.js';
import { Copier, type Side } from '../copier.js';
import { type DestInfo, planCopy, type SourceInfo } from '../cp-plan.js';
import { Progress } from '../progress.js';
import { ClusterStore, LocalStore, type Store } from '../stores.js';
import { parseTarget, type Target } from '../targets.js';

interface Resolved {
  target: Target;
  side: Side | undefined;
}

export function registerCp(program: Command): void {
  program
    .command('cp')
    .description('copy files and directories (local ↔ cluster, cluster ↔ cluster, - for stdin/stdout)')
    .argument('<paths...>', 'sources then the destination')
    .option('-r, --recursive', 'copy directories recursively')
    .action(async (paths: string[], options: { recursive?: boolean }, command: Command) => {
      if (paths.length < 2) command.error('error: missing destination', { exitCode: 2, code: 'gfs.usage' });
      const context = CliContext.of(command);
      await context.run(async () => {
        const local = new LocalStore();
        const stores = new Map<string, Store>();
        const resolve = (argument: string): Resolved => {
          const target = parseTarget(argument, context.defaultMaster);
          if (target.kind === 'stdio') return { target, side: undefined };
          if (target.kind === 'local') return { target, side: { store: local, path: target.path } };
          let store = stores.get(target.master);
          if (store === undefined) {
            store = new ClusterStore(context.client(target.master));
            stores.set(target.master, store);
          }
          return { target, side: { store, path: target.path } };
        };
        const sources = paths.slice(0, -1).map(resolve);
        const destination = resolve(paths.at(-1) as string);
        await copyAll(sources, destination, options.recursive ?? false);
      });
    });
}

async function copyAll(sources: Resolved[], destination: Resolved, recursive: boolean): Promise<void> {
  const infos: SourceInfo[] = [];
  const sizes: number[] = [];
  for (const { target, side } of sources) {
    if (side === undefined) {
      infos.push({ display: '-', baseName: '', type: 'stdin' });
      sizes.push(0);
      continue;
    }
    const info = await side.store.stat(side.path);
    if (info === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', target.display);
    infos.push({ display: target.display, baseName: side.store.base(side.path), type: info.type });
    sizes.push(info.sizeBytes);
  }
  const dest = await describeDestination(destination);
  const steps = planCopy(infos, dest, recursive);
  const progress = new Progress();
  const copier = new Copier(progress);
  try {
    for (const [i, step] of steps.entries()) {
      const source = sources[i] as Resolved;
      const sizeBytes = sizes[i] ?? 0;
      if (step.target === undefined || destination.side === undefined) {
        await copier.toStdout(source.side ? source.side.store.read(source.side.path) : process.stdin, sizeBytes);
        continue;
      }
      const to: Side = step.target.intoDirectory
        ? {
            store: destination.side.store,
            path: destination.side.store.join(destination.side.path, step.source.baseName),
          }
        : destination.side;
      if (source.side === undefined) {
        await copier.fromStream(process.stdin, to);
        continue;
      }
      if (step.source.type === 'dir' && source.side.store === to.store && isSameOrBelow(to.path, source.side.path)) {
        throw new GfsError('INVALID_ARGUMENT', 'cannot copy a directory into itself', destination.target.display);
      }
      await copier.copy(source.side, to, step.source.type === 'dir' ? 'dir' : 'file', sizeBytes);
    }
  } finally {
    progress.stop();
  }
}

async function describeDestination(destination: Resolved): Promise<DestInfo> {
  const { target, side } = destination;
  if (side === undefined) return { type: 'stdout' };
  const info = await side.store.stat(side.path);
  if (info !== undefined) return { type: info.type, display: target.display };
  const parent = await side.store.stat(side.store.parent(side.path));
  return { type: 'missing', display: target.display, parentType: parent?.type ?? 'missing' };
}
