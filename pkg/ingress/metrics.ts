// Ingress controller metrics on the node agent's /metrics: requests by Ingress, Service and status
// code, and their latency (to the response's end), as ingress-nginx's and Traefik's controllers keep.
import { Counter, Histogram } from 'prom-client';

export const ingressRequests = new Counter({
  name: 'tskube_ingress_requests_total',
  help: 'HTTP requests the ingress controller answered, by Ingress, Service and status code ("" when no rule matched).',
  labelNames: ['namespace', 'ingress', 'service', 'code'],
});

export const ingressRequestDuration = new Histogram({
  name: 'tskube_ingress_request_duration_seconds',
  help: 'Seconds from a request arriving at the ingress controller to its response ending, by Ingress and Service.',
  labelNames: ['namespace', 'ingress', 'service'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});
