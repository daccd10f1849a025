/** The longest event message a log line becomes, in UTF-8 bytes (ellipsis included). */
export const MAX_MESSAGE_BYTES = 500;
const ELLIPSIS = '…';
const ELLIPSIS_BYTES = Buffer.byteLength(ELLIPSIS);

/**
 * truncateUtf8 returns `text` when it fits in `maxBytes` UTF-8 bytes; otherwise
 * it cuts on a character boundary and appends `…`, the whole staying within
 * `maxBytes`, so one chatty line cannot bloat the event log and the stored
 * message is always valid UTF-8.
 */
export function truncateUtf8(text: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes - ELLIPSIS_BYTES);
  // Step back over continuation bytes (10xxxxxx) to the first byte of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + ELLIPSIS;
}
