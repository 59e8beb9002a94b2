// Label and field selectors from query parameters, turned into one predicate.
import type { KubeObject } from '../../api/types.js';
import type { Selectable } from '../raw-object.js';
import { matchesFieldSelector, matchesLabelSelector, parseFieldSelector, parseLabelSelector } from '../../api/selectors.js';
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
  try {
    if (ls) labelSel = parseLabelSelector(ls);
  } catch (e) {
    throw errors.badRequest(`unable to parse requirement: ${(e as Error).message}`);
  }
  try {
    if (fs) fieldSel = parseFieldSelector(fs);
  } catch (e) {
    throw errors.badRequest(`invalid field selector: ${(e as Error).message}`);
  }
  if (fieldSel) {
    // Reject unsupported field labels up front, as Kubernetes does; a version served over
    // another's storage names them its own way (events.k8s.io/v1's regarding.name).
    const sample = r.fields({ metadata: {} } as KubeObject);
    const label = r.view?.fieldLabel;
    fieldSel = {
      requirements: fieldSel.requirements.map((req) => {
        const field = label ? label(req.field) : req.field;
        if (field === undefined || !(field in sample)) throw errors.badRequest(`field label not supported: ${req.field}`);
        return { ...req, field };
      }),
    };
  }
  return (obj) => (!labelSel || matchesLabelSelector(labelSel, obj.labels)) && (!fieldSel || matchesFieldSelector(fieldSel, obj.fields));
}
