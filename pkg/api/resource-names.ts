// Kinds of resource names, as pkg/apis/core/helper (and v1helper) tell them apart: native ones
// (no domain, or under kubernetes.io/), huge pages, and extended resources (any other domain,
// e.g. nvidia.com/gpu), which cannot be overcommitted and come only in whole numbers.
import { isQualifiedName } from './names.js';

/** IsNativeResource: no domain, or a kubernetes.io/ one. */
export const isNativeResource = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');

/** IsHugePageResourceName: hugepages-<page size>. */
export const isHugePageResourceName = (name: string): boolean => name.startsWith('hugepages-');

/** IsExtendedResourceName: not native, not a quota's requests.*, and a qualified name once prefixed with requests. (as a quota names it). */
export const isExtendedResourceName = (name: string): boolean => !isNativeResource(name) && !name.startsWith('requests.') && !isQualifiedName(`requests.${name}`).length;

/** IsOvercommitAllowed: a request below the limit is allowed for native resources but huge pages. */
export const isOvercommitAllowed = (name: string): boolean => isNativeResource(name) && !isHugePageResourceName(name);

/** IsStandardContainerResourceName: what a container may request without a domain. */
export const isStandardContainerResourceName = (name: string): boolean => ['cpu', 'memory', 'ephemeral-storage'].includes(name) || isHugePageResourceName(name);
