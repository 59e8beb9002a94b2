// A client of the gRPC frontend (tskube.api.v1.Api) with the same verbs as the REST client;
// objects travel as Kubernetes JSON. Errors carry the server's Status.
import * as grpc from '@grpc/grpc-js';
import { ApiClient, type ListResponse, type ObjectResponse, type WatchResponse } from '../api/generated/tskube/api/v1/api.js';
import type { KubeObject } from '../api/types.js';
import { StatusError, type ResourceRef } from './rest-client.js';

export class GrpcApiClient {
  private client: ApiClient;
  private md: grpc.Metadata;

  constructor(address: string, opts: { caCert: string; token: string; serverName?: string }) {
    const creds = grpc.credentials.createSsl(Buffer.from(opts.caCert));
    // The server names the field manager of a write after the user agent's first word.
    this.client = new ApiClient(address, creds, { 'grpc.primary_user_agent': 'tsctl/0.1.0', ...(opts.serverName ? { 'grpc.ssl_target_name_override': opts.serverName } : {}) });
    this.md = new grpc.Metadata();
    this.md.set('authorization', `Bearer ${opts.token}`);
  }

  close(): void {
    this.client.close();
  }

  private call<Res>(method: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete', req: object): Promise<Res> {
    const fn = (this.client as unknown as Record<string, (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.client, req, this.md, (err, res) => (err ? reject(toStatusError(err)) : resolve(res)));
    });
  }

  private target(ref: ResourceRef, namespace?: string) {
    return { group: ref.group ?? '', version: ref.version ?? 'v1', resource: ref.resource, namespace: ref.namespaced ? (namespace ?? '') : '' };
  }

  async get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const res = await this.call<ObjectResponse>('get', { ...this.target(ref, namespace), name });
    return JSON.parse(res.objectJson ?? '{}') as KubeObject;
  }

  async list(ref: ResourceRef, namespace?: string, q: { labelSelector?: string; fieldSelector?: string } = {}): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const res = await this.call<ListResponse>('list', { ...this.target(ref, namespace), ...q });
    return { items: (res.itemsJson ?? []).map((j) => JSON.parse(j) as KubeObject), resourceVersion: res.resourceVersion ?? '' };
  }

  async create(ref: ResourceRef, namespace: string | undefined, obj: unknown): Promise<KubeObject> {
    const res = await this.call<ObjectResponse>('create', { ...this.target(ref, namespace), objectJson: JSON.stringify(obj), fieldValidation: 'Strict' });
    return JSON.parse(res.objectJson ?? '{}') as KubeObject;
  }

  async update(ref: ResourceRef, namespace: string | undefined, name: string, obj: unknown, subresource = ''): Promise<KubeObject> {
    const res = await this.call<ObjectResponse>('update', { ...this.target(ref, namespace), name, subresource, objectJson: JSON.stringify(obj), fieldValidation: 'Strict' });
    return JSON.parse(res.objectJson ?? '{}') as KubeObject;
  }

  async patch(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: 'merge' | 'json' | 'strategic' | 'apply' = 'merge',
    subresource = '',
    opts: { fieldManager?: string; force?: boolean; dryRun?: boolean } = {},
  ): Promise<KubeObject> {
    const res = await this.call<ObjectResponse>('patch', { ...this.target(ref, namespace), name, subresource, patchType, patchJson: JSON.stringify(patch), ...opts });
    return JSON.parse(res.objectJson ?? '{}') as KubeObject;
  }

  async delete(ref: ResourceRef, namespace: string | undefined, name: string, gracePeriodSeconds?: number): Promise<KubeObject> {
    const res = await this.call<ObjectResponse>('delete', { ...this.target(ref, namespace), name, gracePeriodSeconds });
    return JSON.parse(res.objectJson ?? '{}') as KubeObject;
  }

  async bind(namespace: string, pod: string, node: string): Promise<void> {
    await this.call<ObjectResponse>('create', {
      group: '',
      version: 'v1',
      resource: 'pods',
      namespace,
      name: pod,
      subresource: 'binding',
      objectJson: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: pod }, target: { kind: 'Node', name: node } }),
    });
  }

  /** Server-streamed watch; returns a stop function and a promise that settles when the stream ends. */
  watch(ref: ResourceRef, namespace: string | undefined, q: { resourceVersion?: string; labelSelector?: string; fieldSelector?: string }, onEvent: (type: string, obj: KubeObject) => void): { stop(): void; done: Promise<void> } {
    const stream = this.client.watch({ ...this.target(ref, namespace), ...q }, this.md);
    stream.on('data', (ev: WatchResponse) => onEvent(ev.type ?? '', JSON.parse(ev.objectJson ?? '{}') as KubeObject));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('end', () => resolve());
      stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? resolve() : reject(toStatusError(e))));
    });
    return { stop: () => stream.cancel(), done };
  }
}

function toStatusError(e: grpc.ServiceError): Error {
  const raw = e.metadata?.get('k8s-status')[0];
  if (raw) {
    const status = JSON.parse(String(raw)) as Record<string, unknown>;
    return new StatusError(Number(status.code), status, String(status.message));
  }
  return e;
}
