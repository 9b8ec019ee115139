import { NonRetryableError } from '../errors/errorTypes.js';
import { ChangeType } from './changeColumns.js';
import { compareKeys, keyText, type StateKey } from './stateKeys.js';

/** One row of a change state: its key and the hash of its content (capture/rowHash.ts). */
export type StateRecord = { key: StateKey; hash: string };

/** `insert` and `update` name the row just added; `delete` names a key of the old state. */
export type ChangeSink = (type: ChangeType, key: StateKey) => void;

/**
 * Merges the rows of one chunk, read in ascending key order, with the old state of the same key
 * range, also in ascending key order (batches of it, read lazily): a key only in the read is an
 * insert, a key in both with another hash an update, a key only in the state a delete. Memory
 * holds one batch of the state, whatever the size of the chunk.
 */
export class StateMerge {
  private batch: StateRecord[] = [];
  private at = 0;
  private ended = false;
  private last: StateKey | undefined;

  constructor(private readonly old: AsyncIterator<StateRecord[]>, private readonly where: string) {}

  /**
   * The row with `key` (above every key added before) and `hash`. Synchronous while the state's
   * current batch lasts (a promise only when the next batch must be read), so a million rows do
   * not cost a million awaits.
   */
  add(key: StateKey, hash: string, emit: ChangeSink): Promise<void> | undefined {
    if (this.last && compareKeys(this.last, key) >= 0) {
      throw new NonRetryableError(`${this.where}: rows came in the order ${keyText(this.last)} then ${keyText(key)}, not ascending by key; the change state cannot be merged`);
    }
    this.last = key;
    while (this.at < this.batch.length) {
      const old = this.batch[this.at]!;
      const order = compareKeys(old.key, key);
      if (order > 0) break;
      this.at++;
      if (order < 0) {
        emit(ChangeType.delete, old.key);
        continue;
      }
      if (old.hash !== hash) emit(ChangeType.update, key);
      return undefined;
    }
    if (this.at < this.batch.length || this.ended) {
      emit(ChangeType.insert, key);
      return undefined;
    }
    return this.addAfterRead(key, hash, emit);
  }

  private async addAfterRead(key: StateKey, hash: string, emit: ChangeSink): Promise<void> {
    for (;;) {
      const old = await this.current();
      if (!old) break;
      const order = compareKeys(old.key, key);
      if (order > 0) break;
      this.at++;
      if (order < 0) {
        emit(ChangeType.delete, old.key);
        continue;
      }
      if (old.hash !== hash) emit(ChangeType.update, key);
      return;
    }
    emit(ChangeType.insert, key);
  }

  /** The keys of the old state after the last row read: deleted. */
  async finish(emit: ChangeSink): Promise<void> {
    for (;;) {
      const old = this.at < this.batch.length ? this.batch[this.at] : await this.current();
      if (!old) return;
      this.at++;
      emit(ChangeType.delete, old.key);
    }
  }

  private async current(): Promise<StateRecord | undefined> {
    while (this.at >= this.batch.length) {
      if (this.ended) return undefined;
      const next = await this.old.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      this.batch = next.value;
      this.at = 0;
    }
    return this.batch[this.at];
  }
}
