// The User-Agent each component sends, as 1.32's binaries build theirs: client-go's
// DefaultKubernetesUserAgent ("<binary>/<version> (<os>/<arch>) kubernetes/<commit>", the version
// without what follows its '-', the commit cut to 7 characters) and rest.AddUserAgent (then
// "/<name>"). The part before the first '/' is what the apiserver records as the field manager of
// a write that names none (prefixFromUserAgent), so a component's writes show in managedFields and
// in server-side apply conflicts under the name Kubernetes' own component has.
import { GIT_COMMIT, GIT_VERSION, goPlatform } from '../util/version.js';

/** client-go's DefaultKubernetesUserAgent for a binary named `command`. */
export function defaultKubernetesUserAgent(command: string, version: string = GIT_VERSION, commit: string = GIT_COMMIT, platform = goPlatform()): string {
  const v = version.split('-')[0] || 'unknown';
  const c = commit.slice(0, 7) || 'unknown';
  return `${command || 'unknown'}/${v} (${platform.os}/${platform.arch}) kubernetes/${c}`;
}

/** The kubelet's: its clients keep client-go's default (kubelet/v1.32.0 (linux/amd64) kubernetes/...). */
export const kubeletUserAgent = (): string => defaultKubernetesUserAgent('kubelet');

/** kube-scheduler's: createClients adds "scheduler" (options.go, restclient.AddUserAgent(kubeConfig, "scheduler")). */
export const schedulerUserAgent = (): string => `${defaultKubernetesUserAgent('kube-scheduler')}/scheduler`;

/**
 * kube-controller-manager's: its client is made with KubeControllerManagerUserAgent added
 * (options.Config); a controller with a client of its own (SimpleControllerClientBuilder) adds its
 * name instead, with --use-service-account-credentials its service account's user name.
 */
export const controllerManagerUserAgent = (name = 'kube-controller-manager'): string => `${defaultKubernetesUserAgent('kube-controller-manager')}/${name}`;
