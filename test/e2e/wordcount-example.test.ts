// The examples/wordcount MapReduce job, run as a user runs it (`npm run example:wordcount` runs
// this same script after a build): it starts its own cluster, runs map and reduce workers as
// processes, and exits 0 only when the output matches a single-process count.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePortRun } from '../harness/free-port.js';

const MAIN = fileURLToPath(new URL('../../dist/examples/wordcount/main.js', import.meta.url));

it('word count over record append matches a single-process count', async () => {
  const port = await freePortRun(5);
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, GFS_EXAMPLE_PORT: String(port), GFS_MASTER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => {
    output += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    output += data.toString();
  });
  const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  expect(code, output).toBe(0);
  expect(output).toContain('OK: /wordcount/output matches the single-process count');
});
