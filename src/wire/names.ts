/**
 * Tags and attribute keys must print as XML names and keep their order in a JavaScript object, so both the
 * encoder and the decoder refuse names that are empty, contain markup or whitespace, or start with a digit,
 * '-' or '.' (which also rules out integer-like keys that objects would reorder). `__proto__` is refused
 * because assigning it to a plain object changes the prototype instead of adding a key.
 */
export function isName(s: string): boolean {
  const n = s.length;
  if (n === 0 || s === '__proto__') return false;
  const c0 = s.charCodeAt(0);
  if ((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x2d || c0 === 0x2e) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
    switch (c) {
      case 0x22: // "
      case 0x26: // &
      case 0x27: // '
      case 0x2f: // /
      case 0x3c: // <
      case 0x3d: // =
      case 0x3e: // >
      case 0x21: // !
      case 0x3f: // ?
        return false;
    }
  }
  return true;
}
