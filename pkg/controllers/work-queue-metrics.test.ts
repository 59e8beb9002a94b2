import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';
import { metricName } from './work-queue-metrics.js';

const value = async (series: string) => {
  const text = await register.metrics();
  const i = text.indexOf(`\n${series} `);
  return i < 0 ? undefined : Number(text.slice(i + series.length + 2).split('\n')[0]);
};

describe("client-go's workqueue metrics", () => {
  it('counts adds, depth, waits, syncs, retries and the work in progress, as client-go does', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let failNext = true;
    const q = new WorkQueue(
      'metrics-test-queue',
      async (key) => {
        if (key === 'slow') await gate;
        if (key === 'flaky' && failNext) {
          failNext = false;
          throw Object.assign(new Error('conflict'), { code: 409 });
        }
      },
      { workers: 1, baseDelayMs: 1 },
    );
    expect(await value('workqueue_depth{name="metrics-test-queue"}')).toBe(0);
    q.add('slow');
    q.add('a');
    q.add('a');
    // (slow is being processed, a waits: one add for a, however often it is added)
    expect(await value('workqueue_adds_total{name="metrics-test-queue"}')).toBe(2);
    expect(await value('workqueue_depth{name="metrics-test-queue"}')).toBe(1);
    q.add('slow');
    q.add('slow');
    // (added again while processing: counted once, and waiting)
    expect(await value('workqueue_adds_total{name="metrics-test-queue"}')).toBe(3);
    expect(await value('workqueue_depth{name="metrics-test-queue"}')).toBe(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(await value('workqueue_unfinished_work_seconds{name="metrics-test-queue"}')).toBeGreaterThanOrEqual(0.02);
    expect(await value('workqueue_longest_running_processor_seconds{name="metrics-test-queue"}')).toBeGreaterThanOrEqual(0.02);
    release();
    q.add('flaky');
    await q.idle();
    await new Promise((r) => setTimeout(r, 20));
    await q.idle();
    expect(await value('workqueue_depth{name="metrics-test-queue"}')).toBe(0);
    expect(await value('workqueue_retries_total{name="metrics-test-queue"}')).toBe(1);
    // (slow, a, slow again, flaky, and flaky's retry; five syncs)
    expect(await value('workqueue_adds_total{name="metrics-test-queue"}')).toBe(5);
    expect(await value('workqueue_work_duration_seconds_count{name="metrics-test-queue"}')).toBe(5);
    expect(await value('workqueue_queue_duration_seconds_count{name="metrics-test-queue"}')).toBe(5);
    expect(await value('workqueue_unfinished_work_seconds{name="metrics-test-queue"}')).toBe(0);
    const text = await register.metrics();
    expect(text).toContain('# HELP workqueue_adds_total [ALPHA] Total number of adds handled by workqueue\n# TYPE workqueue_adds_total counter\n');
    expect(text).toContain('# HELP workqueue_queue_duration_seconds [ALPHA] How long in seconds an item stays in workqueue before being requested.\n');
    expect([...text.matchAll(/^workqueue_work_duration_seconds_bucket\{le="([^"]+)",name="metrics-test-queue"\}/gm)].map((m) => (m[1] === '+Inf' ? Infinity : Number(m[1])))).toEqual([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, Infinity].map((b, i) => (i < 10 ? expect.closeTo(b, 15 - i) : b)));
    q.stop();
  });

  it("names the queues as the 1.32 controllers name theirs", () => {
    expect(metricName('endpoints')).toBe('endpoint');
    expect(metricName('endpointslice')).toBe('endpoint_slice');
    expect(metricName('garbage-collector')).toBe('garbage_collector_attempt_to_delete');
    expect(metricName('replication')).toBe('replicationmanager');
    expect(metricName('deployment')).toBe('deployment');
  });
});
