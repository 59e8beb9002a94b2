// Events written the way client-go's event broadcaster writes them: one at a time, from a queue
// of at most 1000; when the queue is full, new events are dropped. Events are best effort and
// must never slow down, or pile up memory in, the component that records them: under a burst
// (10k pods bound in seconds) most Scheduled events are dropped, as kube-scheduler drops them.

export class EventSink {
  private queue: (() => Promise<unknown>)[] = [];
  private head = 0;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly maxQueued = 1000,
    /** Called for each dropped event (a metric). */
    private readonly onDrop: () => void = () => {},
  ) {}

  /** Queues one write; false if it was dropped because the queue is full. */
  enqueue(write: () => Promise<unknown>): boolean {
    if (this.queue.length - this.head >= this.maxQueued) {
      this.onDrop();
      return false;
    }
    this.queue.push(write);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return true;
  }

  /** Resolves once every write queued so far has been made (or failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  private async drain(): Promise<void> {
    while (this.head < this.queue.length) {
      const write = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      // (a write reports its own failures; one that fails does not stop the others)
      await write().catch(() => undefined);
    }
  }
}
