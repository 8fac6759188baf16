/** The undoing of what a command started: processes, folders, open databases. */
export interface Teardown {
  /** Undone after everything added later, whether the command returns, throws or is interrupted. */
  add(step: () => unknown): void;
}

/**
 * Runs a command's work and then undoes what it added to the teardown, in
 * reverse order — also on SIGINT or SIGTERM, after which the command says it
 * was interrupted and exits 130 or 143. Node's default on those signals ends
 * the process at once, which would leave child processes running and
 * temporary folders behind.
 */
export async function withTeardown<T>(command: string, work: (teardown: Teardown) => Promise<T>): Promise<T> {
  const steps: Array<() => unknown> = [];
  let undoing: Promise<void> | undefined;
  const undo = () =>
    (undoing ??= (async () => {
      for (const step of steps.splice(0).reverse()) {
        try {
          await step();
        } catch (error) {
          process.stderr.write(`myna-kiosk ${command}: clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    })());
  // A second Ctrl+C while stopping is ignored: ending now would leave behind what is being stopped.
  let signalled = false;
  const interrupted = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    process.stderr.write(`myna-kiosk ${command}: interrupted (${signal}); stopping what it started\n`);
    void undo().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    return await work({ add: (step) => void steps.push(step) });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await undo();
  }
}
