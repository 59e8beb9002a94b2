// The cleanup stack of a multi-step setup: every step that creates something pushes its undo;
// a failure unwinds them newest first. Undo failures are collected, not thrown over the
// original error.
export class UndoStack {
  private readonly steps: { name: string; undo: () => Promise<unknown> }[] = [];

  push(name: string, undo: () => Promise<unknown>): void {
    this.steps.push({ name, undo });
  }

  /** Runs every undo, newest first; returns the errors of those that failed. */
  async unwind(): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.steps.length > 0) {
      const s = this.steps.pop()!;
      try {
        await s.undo();
      } catch (e) {
        errors.push(new Error(`undo ${s.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
    }
    return errors;
  }

  get size(): number {
    return this.steps.length;
  }
}

/** Serialises async work per key (one pod's setup and teardown; one node's iptables writes). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
