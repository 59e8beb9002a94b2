// pkg/runtime public surface: what the node agent and tsctl import.
export { Runtime, DEFAULT_ROOT, type RuntimeOptions } from './runtime.js';
export { ImageManager } from './image-service.js';
export { cleanupAll } from './cleanup.js';
export { buildBusyboxImage, makeBusyboxRootfs } from './image-build.js';
export { importOciLayout, exportOciLayout } from './oci-layout.js';
export { parseImageRef, formatImageRef, familiarName, normalizeImageName, type ImageRef } from './image-ref.js';
export { RegistryClient, type RegistryAuth, type PullProgress } from './registry-client.js';
export { cgroupLayout, cpuUsageNs, podCgroupPath } from './cgroups.js';
export * from './errors.js';
export * from './types.js';
