// The scheduler's settings (kube-scheduler's KubeSchedulerConfiguration, what we have of it) and defaults.
import { defaultQueueOptions, type QueueOptions } from './queue.js';

export interface SchedulerConfig {
  schedulerName: string;
  leaderElect: boolean;
  leaseDurationSec: number;
  renewDeadlineSec: number;
  retryPeriodSec: number;
  /** kube-scheduler's percentageOfNodesToScore; 0 means adaptive. */
  percentageOfNodesToScore: number;
  /** Binds in flight at once. */
  parallelBinds: number;
  /** Emit Scheduled events (FailedScheduling events are always emitted). */
  scheduledEvents: boolean;
  queue: QueueOptions;
  identity?: string;
  /**
   * Called when the lease is lost while the scheduler runs (not when it is stopped):
   * kube-scheduler 1.32 exits then ("Leaderelection lost", status 1) for its supervisor to start
   * it again, which the command wires; without it (in-process) the scheduler stops scheduling and
   * campaigns again.
   */
  onLeadershipLost?: () => void;
}

export const defaultSchedulerConfig: SchedulerConfig = {
  schedulerName: 'default-scheduler',
  leaderElect: true,
  leaseDurationSec: 15,
  renewDeadlineSec: 10,
  retryPeriodSec: 2,
  percentageOfNodesToScore: 0,
  parallelBinds: 32,
  scheduledEvents: true,
  queue: defaultQueueOptions,
};
