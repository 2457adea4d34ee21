import { type CipherState, HandshakeState, type KeyPair, type NoiseCrypto } from '../noise/index.js';

export const XX = 'Noise_XX_25519_AESGCM_SHA256';
export const IK = 'Noise_IK_25519_AESGCM_SHA256';
/** An XX first message is just the ephemeral key; anything longer is an IK first flight. */
export const XX_MSG1_LENGTH = 32;

export type TransportCipher = CipherState;

export interface HandshakeParams {
  pattern: 'XX' | 'IK';
  initiator: boolean;
  prologue: Uint8Array;
  staticKey: KeyPair;
  remoteStatic?: Uint8Array | undefined;
  crypto: NoiseCrypto;
}

export function createHandshake(p: HandshakeParams): HandshakeState {
  return new HandshakeState({
    protocol: p.pattern === 'XX' ? XX : IK,
    initiator: p.initiator,
    crypto: p.crypto,
    prologue: p.prologue,
    s: p.staticKey,
    rs: p.remoteStatic,
  });
}
