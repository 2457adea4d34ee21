import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { NoiseCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { HandshakeState } from './handshake-state.js';
import { parseProtocolName } from './patterns.js';

interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  init_psks?: string[];
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

const file = JSON.parse(
  readFileSync(new URL('../../test/fixtures/noise/cacophony.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function supported(v: Vector): boolean {
  if (v.init_psks || /psk|fallback/.test(v.protocol_name)) return false;
  try {
    parseProtocolName(v.protocol_name);
    return true;
  } catch {
    return false;
  }
}

// Counted independently of parseProtocolName, so a filter bug cannot silently skip vectors.
const expectedXXIK = file.vectors.filter((v) =>
  /^Noise_(XX|IK)_25519_(AESGCM|ChaChaPoly)_SHA256$/.test(v.protocol_name),
).length;
const applicable = file.vectors.filter(supported);

function keyPair(c: NoiseCrypto, priv?: string) {
  if (!priv) return undefined;
  const privateKey = h(priv);
  return { privateKey, publicKey: c.publicKey(privateKey) };
}

function run(c: NoiseCrypto, v: Vector): void {
  const ini = new HandshakeState({
    protocol: v.protocol_name,
    initiator: true,
    crypto: c,
    prologue: h(v.init_prologue),
    s: keyPair(c, v.init_static),
    e: keyPair(c, v.init_ephemeral),
    rs: v.init_remote_static ? h(v.init_remote_static) : undefined,
  });
  const res = new HandshakeState({
    protocol: v.protocol_name,
    initiator: false,
    crypto: c,
    prologue: h(v.resp_prologue),
    s: keyPair(c, v.resp_static),
    e: keyPair(c, v.resp_ephemeral),
    rs: v.resp_remote_static ? h(v.resp_remote_static) : undefined,
  });
  let i = 0;
  for (; !ini.isComplete; i++) {
    const m = v.messages[i]!;
    const [w, r] = i % 2 === 0 ? [ini, res] : [res, ini];
    const ct = w.writeMessage(h(m.payload));
    assert.equal(hex(ct), m.ciphertext, `${v.protocol_name} handshake message ${i}`);
    assert.equal(hex(r.readMessage(ct)), m.payload);
  }
  assert.ok(res.isComplete);
  if (v.handshake_hash) assert.equal(hex(ini.handshakeHash()), v.handshake_hash);
  assert.equal(hex(ini.handshakeHash()), hex(res.handshakeHash()));
  const [i2r, r2i] = ini.split();
  const [ri2r, rr2i] = res.split();
  for (; i < v.messages.length; i++) {
    const m = v.messages[i]!;
    // Transport messages keep alternating, starting where the handshake left off.
    const [send, recv] = i % 2 === 0 ? [i2r, ri2r] : [rr2i, r2i];
    const ct = send.encrypt(h(m.payload));
    assert.equal(hex(ct), m.ciphertext, `${v.protocol_name} transport message ${i}`);
    assert.equal(hex(recv.decrypt(ct)), m.payload);
  }
}

for (const [name, c] of [
  ['node:crypto', nodeCrypto],
  ['@noble', nobleCrypto],
] as const) {
  describe(`cacophony vectors with ${name}`, () => {
    test('every applicable vector passes, byte for byte', () => {
      let ran = 0;
      let xxik = 0;
      for (const v of applicable) {
        run(c, v);
        ran++;
        if (/^Noise_(XX|IK)_/.test(v.protocol_name)) xxik++;
      }
      assert.ok(expectedXXIK >= 4, 'the fixture holds the XX and IK vectors');
      assert.equal(xxik, expectedXXIK, 'every XX/IK vector ran');
      assert.ok(ran >= 24, `ran ${ran} vectors`);
    });
  });
}
