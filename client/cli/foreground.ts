// Runs a server in the foreground: started, then stopped cleanly on SIGINT/SIGTERM (exit 0).

export interface Stoppable {
  close(): Promise<void>;
}

export async function runInForeground(start: () => Promise<Stoppable>): Promise<void> {
  const server = await start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.close().then(
        () => resolve(),
        () => resolve(),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.exit(0);
}
