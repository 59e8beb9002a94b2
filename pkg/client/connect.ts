// Picks the frontend a component talks to: gRPC when asked, or on `auto` when the kubeconfig
// names a gRPC frontend (cluster extension tskube.io/grpc, written by the apiserver and by
// join); REST otherwise.
import type { ApiClient } from './api-client.js';
import { GrpcApiClient } from './grpc-client.js';
import type { ClusterConfig } from './kubeconfig.js';
import { RestClient } from './rest-client.js';

export type Transport = 'auto' | 'rest' | 'grpc';

export const transports: readonly Transport[] = ['auto', 'rest', 'grpc'];

/** `userAgent` (user-agent.ts, e.g. "kube-scheduler/v1.32.0 (linux/amd64) kubernetes/tskube/scheduler") names the component; its part before '/' is its default field manager. */
export function connect(config: ClusterConfig, transport: Transport = 'auto', userAgent?: string): ApiClient {
  if (transport === 'rest' || (transport === 'auto' && !config.grpcServer)) return new RestClient(config, { userAgent });
  if (!config.grpcServer) throw new Error(`${config.source}: --api-transport=grpc, but the kubeconfig names no gRPC server (cluster extension tskube.io/grpc)`);
  return GrpcApiClient.fromConfig(config, userAgent);
}

/** The --api-transport flag's value, checked. */
export function parseTransport(v: string): Transport {
  if (!(transports as readonly string[]).includes(v)) throw new Error(`--api-transport: must be one of ${transports.join(', ')}, not "${v}"`);
  return v as Transport;
}
