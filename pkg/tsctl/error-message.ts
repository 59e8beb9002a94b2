// How kubectl words an API error for its user (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go
// StandardErrorMessage): a 401's reason as "You must be logged in to the server", another reason in
// parentheses, and none at all when the Status has no reason (client-go's Status for a code it has
// no reason for, such as a 418 with no Status body).
import type { StatusError } from '../client/rest-client.js';

export function standardErrorMessage(e: StatusError): string {
  if (e.reason === 'Unauthorized') return `error: You must be logged in to the server (${e.message})`;
  if (e.reason) return `Error from server (${e.reason}): ${e.message}`;
  return `Error from server: ${e.message}`;
}
