// Strict base64 → UTF-8 text, as SASL responses need it (RFC 4954 §4, RFC 5034 §4).

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const dec = new TextDecoder("utf-8", { fatal: true });

/** null when `s` is not canonical base64 or does not decode to valid UTF-8 */
export function decodeBase64Utf8(s: string): string | null {
  if (!B64.test(s) || s.length % 4 !== 0) return null;
  try {
    const bin = atob(s);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return dec.decode(bytes);
  } catch {
    return null;
  }
}
