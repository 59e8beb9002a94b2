// The zlib dictionary every SPDY/3 header compression context starts from: SPDY Protocol
// draft 3, section 2.6.10.1 "Compression" (SPDY_dictionary_txt). The specification lists it
// as bytes; it is a run of 4-byte big-endian lengths each followed by a header name or common
// value, then one unprefixed run of status codes, reason phrases, dates and media types.
// Transcribed here in that structure; the unit test pins its size and Adler-32 (the DICTID a
// peer's zlib header carries), so a single wrong byte fails it.

/** The length-prefixed entries, in the specification's order. */
const entries = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
];

/** The unprefixed tail that follows "origin". */
const tail =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information' + '204 No Content' + '301 Moved Permanently' + '400 Bad Request' +
  '401 Unauthorized' + '403 Forbidden' + '404 Not Found' + '500 Internal Server Error' + '501 Not Implemented' +
  '503 Service Unavailable' + 'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec ' + '00:00:00 ' +
  'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdch' + 'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function build(): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(e.length);
    parts.push(len, Buffer.from(e, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY3_DICTIONARY: Buffer = build();
