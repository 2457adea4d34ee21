import { decodeNode, encodeNode, type Node, WireError } from '../wire/index.js';

export interface LoginPayload {
  user: string;
  device: number;
  version: string;
  passive: boolean;
}

export function encodeLogin(l: LoginPayload): Uint8Array {
  return encodeNode({
    tag: 'login',
    attrs: { user: l.user, device: String(l.device), version: l.version, passive: String(l.passive) },
  });
}

/** Parses the handshake payload; undefined when it is not a well-formed `<login/>`. */
export function decodeLogin(payload: Uint8Array): LoginPayload | undefined {
  let n: Node;
  try {
    n = decodeNode(payload, { limits: { maxDepth: 1, maxAttrs: 8 } });
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
  const { user, device, version, passive } = n.attrs;
  if (n.tag !== 'login' || user === undefined || device === undefined || !/^[0-9]{1,3}$/.test(device))
    return undefined;
  if (version !== undefined && version.length > 64) return undefined;
  return { user, device: Number(device), version: version ?? '', passive: passive === 'true' };
}
