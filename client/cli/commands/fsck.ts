// `gfs fsck [--json]`: every chunk (trashed files' too) against its replication goal. Lists the
// under-replicated, lost and corrupt chunks; exits 0 only when there are none (DESIGN §7).

import type { Command } from 'commander';
import type { ChunkHealth, FsckReport } from '../../../shared/protocol/health.js';
import { CliContext } from '../context.js';
import { printLines } from '../options.js';

export function registerFsck(program: Command): void {
  program
    .command('fsck')
    .description('check every chunk’s replicas; exit 1 unless all is well')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const report = await context.client().fsck();
        if (options.json) process.stdout.write(`${JSON.stringify(fsckJson(report))}\n`);
        else printLines(formatFsck(report));
        if (!report.healthy) throw new Error(`cluster is not healthy (${summary(report)}): ${context.defaultMaster}`);
      });
    });
}

/** DESIGN §7's shape, exactly: `{ healthy, underReplicated, lost, corrupt }`. */
export function fsckJson(report: FsckReport) {
  const { healthy, underReplicated, lost, corrupt } = report;
  return { healthy, underReplicated, lost, corrupt };
}

export function formatFsck(report: FsckReport): string[] {
  const lines = [
    ...report.lost.map((chunk) => `lost: ${describe(chunk)}`),
    ...report.underReplicated.map((chunk) => `under-replicated: ${describe(chunk)}`),
    ...report.corrupt.map((chunk) => `corrupt: ${describe(chunk)} corrupt=${chunk.corrupt.join(',')}`),
  ];
  const { counts } = report;
  const listed = report.lost.length + report.underReplicated.length + report.corrupt.length;
  if (listed < counts.lost + counts.underReplicated + counts.corrupt) lines.push('(list cut short; counts are exact)');
  lines.push(`${report.chunks} chunks checked: ${report.healthy ? 'healthy' : summary(report)}`);
  return lines;
}

function describe(chunk: ChunkHealth): string {
  const replicas = chunk.replicas.length > 0 ? ` ${chunk.replicas.join(',')}` : '';
  return `${chunk.path} chunk ${chunk.index} handle=${chunk.handle} version=${chunk.version} replicas=${chunk.replicas.length}/${chunk.replication}${replicas}`;
}

function summary(report: FsckReport): string {
  const { counts } = report;
  return `${counts.underReplicated} under-replicated, ${counts.lost} lost, ${counts.corrupt} corrupt`;
}
