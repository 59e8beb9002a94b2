// Event names as client-go's recorder makes them: the object's name, a dot, and a hex
// timestamp (unique enough, and a valid DNS subdomain where a generateName ending in "." is not).
import { randomBytes } from 'node:crypto';

export function eventName(objectName: string): string {
  const ns = process.hrtime.bigint().toString(16);
  return `${objectName}.${ns}${randomBytes(2).toString('hex')}`;
}
