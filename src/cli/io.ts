/**
 * The streams and environment a command sees. main.ts passes the process's own; tests pass
 * buffers, so every command runs without a terminal (as in GitHub's cli/cli iostreams).
 */
export type OutputStream = {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
};

export type CliIo = {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Reads a file named on the command line (`-f spec.json`); `-` is standard input. */
  readFile: (path: string) => Promise<string>;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called; absent in tests that do not need it. */
  onInterrupt?: (handler: () => void) => () => void;
};

/** Progress is drawn in place only on a terminal and never under CI, whose logs keep every redraw. */
export function liveProgress(io: CliIo): boolean {
  return Boolean(io.stderr.isTTY) && !io.env.CI;
}
