/** The error a call throws; fails the test when it throws nothing. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

/** The value, or the error's class and message: what two ways of computing a result must agree on. */
export function outcome<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}
