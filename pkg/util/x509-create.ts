// X.509 certificates made in-process, as Go's crypto/x509 CreateCertificate makes them from a
// template, for the places that make their own pairs without an openssl process (the self-signed
// serving pair of serving-cert.ts). The subset of a template those places need: serial, subject
// common name, validity, key usage, extended key usage, basic constraints, DNS and IP subject
// alternative names; the issuer's signature is SHA-256 with RSA (PKCS #1 v1.5), or ECDSA with
// SHA-256, as Go picks for the issuer's key. As Go, a CA gets a subject key identifier (SHA-1 of
// its public key) and a certificate an issuer with one signed gets it as its authority key
// identifier; key usage and basic constraints are critical.
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { ipBytes as ipAddressBytes } from './ip-string.js';
import { derElements } from './der.js';

export interface CertificateTemplate {
  serial: bigint;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** x509.KeyUsage bits: digitalSignature 1, keyEncipherment 4, certSign 32. */
  keyUsage: number;
  /** Extended key usages by OID (serverAuth 1.3.6.1.5.5.7.3.1, clientAuth ...3.2). */
  extKeyUsage?: string[];
  isCA?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export const KeyUsage = { digitalSignature: 1, keyEncipherment: 4, certSign: 32 } as const;
export const ExtKeyUsage = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([tag]), length(b.length), b]);
};
const seq = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);

function integer(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 and Go write them. */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

/** A string as Go's pkix marshals one: PrintableString when every character is printable, UTF8String otherwise. */
function directoryString(s: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? tlv(0x13, Buffer.from(s)) : tlv(0x0c, Buffer.from(s, 'utf8'));
}

const name = (commonName: string) => seq(...(commonName ? [set(seq(oid('2.5.4.3'), directoryString(commonName)))] : []));

/** An IP address's 4 or 16 bytes (GeneralName iPAddress). */
export function ipBytes(ip: string): Buffer {
  const b = ipAddressBytes(ip);
  if (!b) throw new Error(`x509: "${ip}" is not an IP address`);
  return b;
}

/** The bit string of x509.KeyUsage bits, as Go marshals it (bit 0 the most significant, trailing zero bits trimmed). */
function keyUsageBits(bits: number): Buffer {
  let reversed = 0;
  for (let i = 0; i < 16; i++) if (bits & (1 << i)) reversed |= 1 << (15 - i);
  const bytes = Buffer.from([reversed >> 8, reversed & 0xff]);
  const used = bytes[1] ? 2 : 1;
  const last = bytes[used - 1]!;
  let unused = 0;
  while (unused < 8 && !(last & (1 << unused))) unused++;
  return bitString(bytes.subarray(0, used), unused === 8 ? 0 : unused);
}

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** The SubjectPublicKeyInfo's key bits hashed, as Go's CreateCertificate makes a CA's subject key identifier. */
function keyId(spki: Buffer): Buffer {
  const [, bits] = derElements(derElements(spki)[0]!.body);
  return createHash('sha1').update(bits!.body.subarray(1)).digest();
}

/** The issuer of a certificate: its name and key (and its subject key identifier, if it has one). */
export interface Issuer {
  commonName: string;
  key: KeyObject;
  subjectKeyId?: Buffer;
}

/**
 * A DER certificate for `publicKey` from `t`, signed by `issuer` (the template itself, with the
 * subject's own key, for a self-signed one). Returns the DER and the subject key identifier a CA
 * got, for the certificates it signs.
 */
export function createCertificate(t: CertificateTemplate, publicKey: KeyObject, issuer: Issuer | { selfSigned: KeyObject }): { der: Buffer; subjectKeyId?: Buffer } {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const signer: Issuer = 'selfSigned' in issuer ? { commonName: t.commonName, key: issuer.selfSigned } : issuer;
  const subjectKeyId = t.isCA ? keyId(spki) : undefined;
  const authorityKeyId = 'selfSigned' in issuer ? undefined : issuer.subjectKeyId;
  const exts: Buffer[] = [extension('2.5.29.15', true, keyUsageBits(t.keyUsage))];
  if (t.extKeyUsage?.length) exts.push(extension('2.5.29.37', false, seq(...t.extKeyUsage.map(oid))));
  exts.push(extension('2.5.29.19', true, seq(...(t.isCA ? [bool(true)] : []))));
  if (subjectKeyId) exts.push(extension('2.5.29.14', false, octets(subjectKeyId)));
  if (authorityKeyId) exts.push(extension('2.5.29.35', false, seq(tlv(0x80, authorityKeyId))));
  const names = [...(t.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d))), ...(t.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip)))];
  if (names.length) exts.push(extension('2.5.29.17', false, seq(...names)));
  const keyType = createPublicKey(signer.key).asymmetricKeyType;
  const algorithm = keyType === 'rsa' ? seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)) : keyType === 'ec' ? seq(oid('1.2.840.10045.4.3.2')) : undefined;
  if (!algorithm) throw new Error(`x509: unsupported issuer key type ${keyType}`);
  const tbs = seq(tlv(0xa0, integer(2n)), integer(t.serial), algorithm, name(signer.commonName), seq(time(t.notBefore), time(t.notAfter)), name(t.commonName), spki, tlv(0xa3, seq(...exts)));
  const signature = sign('sha256', tbs, signer.key);
  return { der: seq(tbs, algorithm, bitString(signature)), subjectKeyId };
}

/** A DER certificate as a PEM block, 64 characters a line. */
export function certificatePem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
