// hostPath volume sources, validated alike in pods and PersistentVolumes.
import { invalid, notSupported, required, type FieldError } from './field-error.js';
import type { HostPathVolumeSource } from './types.js';

const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

/** validateHostPathVolumeSource: a path without '..' components, a known type. */
export function validateHostPathVolumeSource(hp: HostPathVolumeSource, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!hp.path) errs.push(required(`${path}.path`));
  else if (hp.path.split('/').includes('..')) errs.push(invalid(`${path}.path`, hp.path, "must not contain '..'"));
  if (hp.type != null && !HOST_PATH_TYPES.includes(hp.type)) errs.push(notSupported(`${path}.type`, hp.type, HOST_PATH_TYPES.filter(Boolean)));
  return errs;
}
