// client-go's REST client metrics as 1.32 components serve them
// (component-base/metrics/prometheus/restclient/metrics.go): rest_client_requests_total by code,
// method and host, and rest_client_request_duration_seconds by verb and host, for every request a
// component makes to the apiserver, over HTTPS or over our gRPC frontend (counted as the REST
// request it stands for), so the mixin's "Kube API Request Rate" and "Post Request Latency" panels
// of the kubelet, scheduler and controller-manager dashboards read them.
import { Counter, Histogram } from 'prom-client';
import { alpha } from '../util/metric-help.js';

const requests = new Counter({
  name: 'rest_client_requests_total',
  help: alpha('Number of HTTP requests, partitioned by status code, method, and host.'),
  labelNames: ['code', 'method', 'host'],
});
const duration = new Histogram({
  name: 'rest_client_request_duration_seconds',
  help: alpha('Request latency in seconds. Broken down by verb, and host.'),
  labelNames: ['verb', 'host'],
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0],
});

/** A request answered with `code`, or that failed without an answer (code "<error>", as client-go's). */
export function recordClientRequest(method: string, host: string, code: number | undefined, seconds: number): void {
  requests.inc({ code: code === undefined ? '<error>' : String(code), method: method.toUpperCase(), host });
  duration.observe({ verb: method.toUpperCase(), host }, seconds);
}

/** The HTTP method and success code of a gRPC frontend call: the REST request it stands for. */
export const GRPC_AS_REST: Record<string, { method: string; code: number }> = {
  get: { method: 'GET', code: 200 },
  list: { method: 'GET', code: 200 },
  watch: { method: 'GET', code: 200 },
  create: { method: 'POST', code: 201 },
  update: { method: 'PUT', code: 200 },
  patch: { method: 'PATCH', code: 200 },
  delete: { method: 'DELETE', code: 200 },
};
