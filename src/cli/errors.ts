/** A command line that cannot be run as given: exit code 2, like a parse error. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type ProblemDetails = { type?: string; title?: string; status?: number; detail?: string; errors?: Array<{ path: string; message: string }> };

/** The API answered an error: its RFC 9457 problem details, shown as title and detail; exit code 1. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly problem: ProblemDetails,
  ) {
    super(`${method} ${path} answered ${status}: ${problem.title ?? 'no title'}${problem.detail ? ` (${problem.detail})` : ''}`);
  }
}

/** A run (or query job) that ended other than `succeeded`: exit code 1 after its summary is shown. */
export class NotSucceededError extends Error {
  override name = 'NotSucceededError';
}
