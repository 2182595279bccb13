// One server per data directory: two masters on one op log, or two chunkservers with one identity,
// would corrupt each other. `DIR/LOCK` holds the owner's pid; a lock left by a process that no
// longer runs (SIGKILL, power loss) is taken over.

import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GfsError } from './errors.js';

export interface DirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string, role: string): Promise<DirLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o644);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
      throw new GfsError('INVALID_ARGUMENT', `data directory is in use by another ${role} (pid ${owner})`, dataDir);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new GfsError('INVALID_ARGUMENT', `could not lock the data directory of this ${role}`, dataDir);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
