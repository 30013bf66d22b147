/**
 * `value` as a Uint8Array view when it is a byte array (Buffer, Uint8Array
 * or any other 1-byte typed array), else undefined. By shape rather than
 * `instanceof`, so arrays from another realm (a vm context, a test sandbox)
 * are recognized too.
 */
export function asBytes(value: unknown): Uint8Array | undefined {
  if (!ArrayBuffer.isView(value) || (value as { BYTES_PER_ELEMENT?: unknown }).BYTES_PER_ELEMENT !== 1) return undefined;
  if (value instanceof Uint8Array) return value;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
