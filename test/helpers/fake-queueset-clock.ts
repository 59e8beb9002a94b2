// A clock for API Priority and Fairness' queue sets (QueueSetClock) in unit tests: its time moves
// only when told, and the timers that fall due then fire in order.
import type { QueueSetClock } from '../../pkg/apiserver/flowcontrol-queueset.js';

export class FakeClock implements QueueSetClock {
  t = 1000;
  private timers = new Set<{ at: number; fn: () => void }>();
  now = () => this.t;
  setTimer(ms: number, fn: () => void) {
    const h = { at: this.t + ms, fn };
    this.timers.add(h);
    return h;
  }
  clearTimer(h: unknown) {
    this.timers.delete(h as { at: number; fn: () => void });
  }
  advance(ms: number) {
    this.t += ms;
    for (const h of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (h.at > this.t) break;
      this.timers.delete(h);
      h.fn();
    }
  }
}
