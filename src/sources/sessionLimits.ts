/**
 * How long one source session may keep the database busy. Every connector sets both on every
 * session it opens, so a runaway query or a lock queue never holds a production database hostage.
 */
export type SessionLimits = {
  /**
   * The longest one statement may run. A PostgreSQL COPY and MySQL and MariaDB count a whole
   * chunk's read, backpressure included (the server waits while Siphon uploads); a PostgreSQL
   * cursor (readMode cursor) counts each batch it fetches; SQL Server bounds the wait for the
   * first row (the driver's request timeout).
   */
  statementTimeoutSeconds: number;
  /** The longest a statement waits for a lock (a table being altered, a row being written). */
  lockTimeoutSeconds: number;
};

/** An hour per statement leaves room for a large chunk on a slow link; 30 s of lock waiting is plenty for a reader. */
export const defaultSessionLimits: SessionLimits = { statementTimeoutSeconds: 3_600, lockTimeoutSeconds: 30 };

export function sessionLimitsOf(source: Partial<SessionLimits>): SessionLimits {
  return {
    statementTimeoutSeconds: source.statementTimeoutSeconds ?? defaultSessionLimits.statementTimeoutSeconds,
    lockTimeoutSeconds: source.lockTimeoutSeconds ?? defaultSessionLimits.lockTimeoutSeconds,
  };
}
