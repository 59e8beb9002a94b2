// Admission webhooks' metrics as kube-apiserver 1.32 records them (staging/src/k8s.io/apiserver/
// pkg/admission/metrics/metrics.go, ObserveWebhook, ObserveWebhookRejection, ObserveWebhookFailOpen,
// called by the mutating and validating dispatchers): each call's latency and count by webhook,
// type ("admit" for a mutating webhook, "validating"), operation, HTTP code and whether it
// rejected the request; refusals by error type; calls that failed and were passed over. Only
// requests that meet a webhook pay for them.
import { Counter, Histogram } from 'prom-client';
import { alpha, stable } from '../util/metric-help.js';

const webhookLatency = new Histogram({
  name: 'apiserver_admission_webhook_admission_duration_seconds',
  help: stable('Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).'),
  labelNames: ['name', 'type', 'operation', 'rejected'],
  buckets: [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25],
});
const webhookRequests = new Counter({
  name: 'apiserver_admission_webhook_request_total',
  help: alpha('Admission webhook request total, identified by name and broken out for each admission type (validating or mutating) and operation. Additional labels specify whether the request was rejected or not and an HTTP status code. Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.'),
  labelNames: ['name', 'type', 'operation', 'code', 'rejected'],
});
const webhookRejections = new Counter({
  name: 'apiserver_admission_webhook_rejection_count',
  help: alpha('Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.'),
  labelNames: ['name', 'type', 'operation', 'error_type', 'rejection_code'],
});
const webhookFailOpen = new Counter({
  name: 'apiserver_admission_webhook_fail_open_count',
  help: alpha('Admission webhook fail open count, identified by name and broken out for each admission type (validating or mutating).'),
  labelNames: ['name', 'type'],
});

/**
 * The time a request spent in admission webhooks (its LatencyTrackers' mutating and validating
 * webhook trackers), which apiserver_request_sli_duration_seconds leaves out. Only requests that
 * met a webhook are in it.
 */
const webhookTime = new WeakMap<object, number>();
export function addWebhookTime(request: object, seconds: number): void {
  webhookTime.set(request, (webhookTime.get(request) ?? 0) + seconds);
}
/** The seconds `request` (its RequestContext) spent in webhooks, 0 if it met none. */
export const webhookSecondsOf = (request: object | undefined): number => (request ? (webhookTime.get(request) ?? 0) : 0);

/** "admit" for a mutating webhook, "validating" for a validating one, as the dispatchers name them. */
export type WebhookType = 'admit' | 'validating';

/**
 * One webhook call's outcome: answered (allowed, or refused with `code`), or failed to be called
 * (`code` the error's), then passed over under failurePolicy Ignore or refusing the request.
 */
export function observeWebhook(name: string, type: WebhookType, operation: string, seconds: number, outcome: { answered: boolean; rejected: boolean; code: number }): void {
  const code = Math.min(outcome.code, 600);
  const rejected = String(outcome.rejected);
  webhookRequests.inc({ name, type, operation, code: String(code), rejected });
  webhookLatency.observe({ name, type, operation, rejected }, seconds);
  if (outcome.rejected) webhookRejections.inc({ name, type, operation, error_type: outcome.answered ? 'no_error' : 'calling_webhook_error', rejection_code: String(code) });
  else if (!outcome.answered) webhookFailOpen.inc({ name, type });
}
