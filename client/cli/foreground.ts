// Runs a server in the foreground: started, then stopped cleanly on SIGINT/SIGTERM (exit 0), or
// stopped and failed when `fatal` settles first (a chunkserver the master refused: exit 1 with its
// one line, through the CLI's error path).

export interface Stoppable {
  close(): Promise<void>;
}

export async function runInForeground(start: () => Promise<Stoppable>, fatal?: Promise<Error>): Promise<void> {
  const server = await start();
  const failure = await new Promise<Error | undefined>((resolve) => {
    let stopping = false;
    const stop = (error: Error | undefined) => {
      if (stopping) return;
      stopping = true;
      server.close().then(
        () => resolve(error),
        () => resolve(error),
      );
    };
    process.once('SIGINT', () => stop(undefined));
    process.once('SIGTERM', () => stop(undefined));
    fatal?.then(stop, stop);
  });
  if (failure !== undefined) throw failure;
  process.exit(0);
}
