// gRPC probes, as the kubelet's (pkg/probe/grpc): a plaintext connection to the pod's IP and the
// probe's port, then grpc.health.v1.Health/Check for the probe's service ("" when unset), all
// within timeoutSeconds. Only SERVING passes. The failure messages are the kubelet's, so
// `kubectl describe` reads the same: a server that cannot be reached in time, one that does not
// implement the health protocol, an RPC error, or a status other than SERVING.
import * as grpc from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../api/generated/grpc/health/v1/health.js';
import { joinHostPort } from '../util/host-port.js';

/** A probe's verdict, with the reason when it failed. */
/**
 * A probe's result; `warning`: passed, but the kubelet would say why it looked (an HTTP probe
 * redirected to another host); `errored`: it could not be run at all (recorded, not counted).
 */
export type ProbeResult = { ok: true; warning?: string } | { ok: false; message: string; errored?: boolean };

/** Go's names of the gRPC status codes (codes.Code.String()), as its errors print them. */
const CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/** The kubelet's user agent for probes (kube-probe/<major>.<minor>). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';

/** Whole seconds as Go prints a time.Duration: 1s, 1m0s, 1h2m3s. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

/** One gRPC health check of host:port for `service`, within timeoutSec. */
export async function grpcProbe(host: string, port: number, service: string, timeoutSec: number): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  const timeout = goDuration(timeoutSec);
  const deadline = Date.now() + timeoutSec * 1000;
  const client = new HealthClient(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': PROBE_USER_AGENT,
    // (a connection of its own, closed after the probe, as the kubelet dials each time)
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
    // (straight to the pod, as the kubelet's own dialer goes, whatever proxy the environment names)
    'grpc.enable_http_proxy': 0,
  });
  try {
    // As the kubelet's blocking dial: wait for the connection until the deadline.
    const connectError = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (e) => resolve(e ?? undefined)));
    if (connectError) return { ok: false, message: `timeout: failed to connect service "${addr}" within ${timeout}: context deadline exceeded` };
    return await new Promise<ProbeResult>((resolve) => {
      client.check({ service }, new grpc.Metadata(), { deadline }, (err, resp) => {
        if (err) {
          if (err.code === grpc.status.UNIMPLEMENTED) return resolve({ ok: false, message: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` });
          if (err.code === grpc.status.DEADLINE_EXCEEDED) return resolve({ ok: false, message: `timeout: health rpc did not complete within ${timeout}` });
          return resolve({ ok: false, message: `error: health rpc probe failed: rpc error: code = ${CODE_NAMES[err.code] ?? `Code(${err.code})`} desc = ${err.details}` });
        }
        const st = resp?.status ?? HealthCheckResponse_ServingStatus.UNKNOWN;
        if (st !== HealthCheckResponse_ServingStatus.SERVING) return resolve({ ok: false, message: `service unhealthy (responded with "${HealthCheckResponse_ServingStatus[st] ?? st}")` });
        resolve({ ok: true });
      });
    });
  } finally {
    client.close();
  }
}
