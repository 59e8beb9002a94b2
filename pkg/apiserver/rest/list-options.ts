// The options of a list or watch request, checked as 1.32's apimachinery validation checks them,
// for both frontends (REST's query, gRPC's ListRequest given as one).
import { forbidden, notSupported, type FieldError } from '../../api/field-error.js';
import * as errors from '../errors.js';

/**
 * ValidateListOptions (and validateWatchOptions): resourceVersionMatch needs a resourceVersion
 * and no continue, and is Exact or NotOlderThan (not Exact at 0); sendInitialEvents is for
 * watches (WatchList, on in 1.32), with resourceVersionMatch=NotOlderThan.
 */
export function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const errs: FieldError[] = [];
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const sendInitialEvents = q.has('sendInitialEvents');
  if (watch) {
    if (sendInitialEvents && match !== 'NotOlderThan') errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (match) {
      if (!sendInitialEvents) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (q.get('continue')) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match) {
      if (!rv) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (q.get('continue')) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (sendInitialEvents) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errs.length) throw errors.invalid('ListOptions', 'meta.k8s.io', '', errs);
}
