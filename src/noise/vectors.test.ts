import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { KeyPair, NoiseCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { HandshakeState } from './handshake-state.js';
import { parseProtocolName } from './patterns.js';

// The cacophony vectors (public domain), copied unchanged from /work/shared/testdata/noise.
interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const file = JSON.parse(
  readFileSync(new URL('../../test/fixtures/noise/cacophony.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

// Counted from the file with a plain regex, independently of parseProtocolName, so a parser or
// filter bug cannot quietly shrink the set: every 25519 + AESGCM/ChaChaPoly + SHA256 vector, psk
// and deferred patterns included. The literal pins what the fixture held when this was written.
const APPLICABLE = /^Noise_[A-Za-z0-9+]+_25519_(AESGCM|ChaChaPoly)_SHA256$/;
const applicable = file.vectors.filter((v) => APPLICABLE.test(v.protocol_name));
const EXPECTED_APPLICABLE = 118;
const MUST_RUN = [
  'Noise_XX_25519_AESGCM_SHA256',
  'Noise_XX_25519_ChaChaPoly_SHA256',
  'Noise_IK_25519_AESGCM_SHA256',
  'Noise_IK_25519_ChaChaPoly_SHA256',
];

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function keyPair(c: NoiseCrypto, priv: string | undefined): KeyPair | undefined {
  if (!priv) return undefined;
  const privateKey = h(priv);
  return { privateKey, publicKey: c.publicKey(privateKey) };
}

function side(c: NoiseCrypto, v: Vector, initiator: boolean): HandshakeState {
  const p = initiator ? 'init' : 'resp';
  return new HandshakeState({
    protocol: v.protocol_name,
    initiator,
    crypto: c,
    prologue: h(v[`${p}_prologue`]),
    psks: v[`${p}_psks`]?.map(h),
    s: keyPair(c, v[`${p}_static`]),
    e: keyPair(c, v[`${p}_ephemeral`]),
    rs: v[`${p}_remote_static`] ? h(v[`${p}_remote_static`]!) : undefined,
  });
}

/** Replays one vector on both sides; asserts every byte. Returns how many messages it checked. */
function run(c: NoiseCrypto, v: Vector): number {
  const ini = side(c, v, true);
  const res = side(c, v, false);
  const oneWay = parseProtocolName(v.protocol_name).pattern.oneWay;
  let i = 0;
  for (; !ini.isComplete; i++) {
    const m = v.messages[i]!;
    const [w, r] = i % 2 === 0 ? [ini, res] : [res, ini];
    const ct = w.writeMessage(h(m.payload));
    assert.equal(hex(ct), m.ciphertext, `handshake message ${i}`);
    assert.equal(hex(r.readMessage(ct)), m.payload, `handshake payload ${i}`);
  }
  assert.ok(res.isComplete, 'both sides finish together');
  assert.equal(hex(ini.handshakeHash()), v.handshake_hash, 'initiator handshake hash');
  assert.equal(hex(res.handshakeHash()), v.handshake_hash, 'responder handshake hash');
  if (v.init_static)
    assert.equal(hex(res.remoteStatic() ?? new Uint8Array()), hex(keyPair(c, v.init_static)!.publicKey));
  if (v.resp_static)
    assert.equal(hex(ini.remoteStatic() ?? new Uint8Array()), hex(keyPair(c, v.resp_static)!.publicKey));
  const [i2r, r2i] = ini.split();
  const [ri2r, rr2i] = res.split();
  const transport = v.messages.length - i;
  // After the handshake, messages keep alternating where it left off; one-way patterns only send i→r.
  for (; i < v.messages.length; i++) {
    const m = v.messages[i]!;
    const [send, recv] = oneWay || i % 2 === 0 ? [i2r, ri2r] : [rr2i, r2i];
    const ct = send.encrypt(h(m.payload));
    assert.equal(hex(ct), m.ciphertext, `transport message ${i}`);
    assert.equal(hex(recv.decrypt(ct)), m.payload, `transport payload ${i}`);
  }
  assert.ok(transport > 0, 'the vector has transport messages');
  return v.messages.length;
}

test('the fixture holds the expected applicable vectors', () => {
  assert.equal(file.vectors.length, 944);
  assert.equal(applicable.length, EXPECTED_APPLICABLE);
  for (const name of MUST_RUN)
    assert.ok(
      applicable.some((v) => v.protocol_name === name),
      name,
    );
});

for (const c of [nodeCrypto, nobleCrypto]) {
  describe(`cacophony vectors with ${c.name} crypto`, () => {
    const ran = new Set<string>();
    let count = 0;
    let messages = 0;
    for (const v of applicable) {
      test(v.protocol_name, () => {
        messages += run(c, v);
        ran.add(v.protocol_name);
        count++;
      });
    }
    test('every applicable vector ran', () => {
      console.log(`# ${c.name}: ${count} vectors, ${messages} messages checked byte for byte`);
      assert.ok(count >= applicable.length, `ran ${count} of ${applicable.length}`);
      assert.ok(count >= EXPECTED_APPLICABLE, `ran ${count}, expected ${EXPECTED_APPLICABLE}`);
      for (const name of MUST_RUN) assert.ok(ran.has(name), `${name} ran`);
    });
  });
}
