// Label and field selectors from query parameters, turned into one predicate.
import type { KubeObject } from '../../api/types.js';
import type { Selectable } from '../raw-object.js';
import { matchesFieldSelector, matchesLabelSelector, parseFieldSelector, parseLabelSelector, unsupportedFieldLabel } from '../../api/selectors.js';
import * as errors from '../errors.js';
import type { ResourceInfo } from '../registry/resources.js';

/** The matcher for "no selector": lists skip computing selectable fields for it. */
export const matchAll = (_obj: Selectable): boolean => true;

export function buildMatcher(r: ResourceInfo, q: URLSearchParams): (obj: Selectable) => boolean {
  const ls = q.get('labelSelector') ?? '';
  const fs = q.get('fieldSelector') ?? '';
  if (!ls && !fs) return matchAll;
  let labelSel: ReturnType<typeof parseLabelSelector> | undefined;
  let fieldSel: ReturnType<typeof parseFieldSelector> | undefined;
  // (the parsers' errors are labels.Parse's and fields.ParseSelector's words, which ListResource
  // serves as they are in its 400)
  try {
    if (ls) labelSel = parseLabelSelector(ls);
    if (fs) fieldSel = parseFieldSelector(fs);
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
  if (fieldSel) {
    // Reject unsupported field labels up front, as Kubernetes does; a version served over
    // another's storage names them its own way (events.k8s.io/v1's regarding.name).
    const sample = r.fields({ metadata: {} } as KubeObject);
    const label = r.view?.fieldLabel;
    fieldSel = {
      requirements: fieldSel.requirements.map((req) => {
        // (the Pod conversion func still takes old v1 clients' spec.host, as spec.nodeName)
        const field = label ? label(req.field) : !r.custom && r.name === 'pods' && req.field === 'spec.host' ? 'spec.nodeName' : req.field;
        // (a custom resource's and events.k8s.io's conversion funcs say "field label not supported")
        if (field === undefined || !(field in sample)) throw errors.badRequest(r.custom || label ? `field label not supported: ${req.field}` : unsupportedFieldLabel(r.name, req.field));
        return { ...req, field };
      }),
    };
  }
  return (obj) => (!labelSel || matchesLabelSelector(labelSel, obj.labels)) && (!fieldSel || matchesFieldSelector(fieldSel, obj.fields));
}
