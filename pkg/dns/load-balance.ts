// The order of an answer's records, as CoreDNS's loadbalance plugin (in the Corefile kubeadm
// installs) writes them: CNAMEs first, then the records that are neither addresses nor MX (SRV,
// TXT, PTR, SOA), then the A and AAAA records in a random order, so that clients which take the
// first address of a headless service spread over its pods instead of all using the same one.
import { RecordType, type ResourceRecord } from './wire.js';

/** The records in loadbalance's order; `random` returns a number in [0, 1) (Math.random). */
export function roundRobin(records: readonly ResourceRecord[], random: () => number = Math.random): ResourceRecord[] {
  const cnames: ResourceRecord[] = [];
  const addresses: ResourceRecord[] = [];
  const rest: ResourceRecord[] = [];
  for (const r of records) {
    if (r.type === RecordType.CNAME) cnames.push(r);
    else if (r.type === RecordType.A || r.type === RecordType.AAAA) addresses.push(r);
    else rest.push(r);
  }
  for (let i = addresses.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [addresses[i], addresses[j]] = [addresses[j]!, addresses[i]!];
  }
  return [...cnames, ...rest, ...addresses];
}
