import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NoiseCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { NoiseError } from './errors.js';
import { HandshakeState } from './handshake-state.js';
import { formatKeyLogLine, parseKeyLog } from './keylog.js';

const PROTO = 'Noise_XX_25519_AESGCM_SHA256';
const te = new TextEncoder();

function pair(c: NoiseCrypto) {
  const ini = new HandshakeState({ protocol: PROTO, initiator: true, crypto: c, s: c.generateKeyPair() });
  const res = new HandshakeState({ protocol: PROTO, initiator: false, crypto: c, s: c.generateKeyPair() });
  res.readMessage(ini.writeMessage());
  ini.readMessage(res.writeMessage());
  res.readMessage(ini.writeMessage(te.encode('login')));
  return { ini: ini.split(), res: res.split() };
}

function isNoise(code: string) {
  return (e: unknown) => e instanceof NoiseError && e.code === code;
}

for (const [name, c] of [
  ['node', nodeCrypto],
  ['noble', nobleCrypto],
] as const) {
  test(`${name}: a tampered transport message is refused and the state still opens the genuine one`, () => {
    const { ini, res } = pair(c);
    const ct = ini[0].encrypt(te.encode('hello'));
    const bad = ct.slice();
    bad[0]! ^= 1;
    assert.throws(() => res[0].decrypt(bad), isNoise('bad_mac'));
    assert.equal(res[0].nonce(), 0, 'a failed decrypt does not advance the nonce');
    assert.deepEqual(res[0].decrypt(ct), te.encode('hello'));
  });

  test(`${name}: replayed and reordered messages fail authentication`, () => {
    const { ini, res } = pair(c);
    const a = ini[0].encrypt(te.encode('a'));
    const b = ini[0].encrypt(te.encode('b'));
    assert.throws(() => res[0].decrypt(b), isNoise('bad_mac'));
    res[0].decrypt(a);
    assert.throws(() => res[0].decrypt(a), isNoise('bad_mac'));
    assert.deepEqual(res[0].decrypt(b), te.encode('b'));
  });

  test(`${name}: keys from both sides match, directions differ`, () => {
    const { ini, res } = pair(c);
    assert.deepEqual(ini[0].key(), res[0].key());
    assert.deepEqual(ini[1].key(), res[1].key());
    assert.notDeepEqual(ini[0].key(), ini[1].key());
  });
}

test('writing or reading out of turn is a bad_state error', () => {
  const ini = new HandshakeState({
    protocol: PROTO,
    initiator: true,
    crypto: nodeCrypto,
    s: nodeCrypto.generateKeyPair(),
  });
  assert.throws(() => ini.readMessage(new Uint8Array(32)), isNoise('bad_state'));
  ini.writeMessage();
  assert.throws(() => ini.writeMessage(), isNoise('bad_state'));
  assert.throws(() => ini.split(), isNoise('bad_state'));
});

test('short and corrupted handshake messages are typed errors', () => {
  const mk = (initiator: boolean) =>
    new HandshakeState({ protocol: PROTO, initiator, crypto: nodeCrypto, s: nodeCrypto.generateKeyPair() });
  const res = mk(false);
  assert.throws(() => res.readMessage(new Uint8Array(31)), isNoise('bad_message_length'));
  const ini = mk(true);
  const res2 = mk(false);
  res2.readMessage(ini.writeMessage());
  const m2 = res2.writeMessage();
  const bad = m2.slice();
  bad[40]! ^= 0x80;
  assert.throws(() => ini.readMessage(bad), isNoise('bad_mac'));
});

test('a low-order public key is refused', () => {
  const zero = new Uint8Array(32);
  for (const c of [nodeCrypto, nobleCrypto]) {
    assert.throws(() => c.dh(c.generateKeyPair().privateKey, zero), isNoise('bad_key'));
  }
});

test('IK needs the responder key up front and a static key', () => {
  assert.throws(
    () =>
      new HandshakeState({
        protocol: 'Noise_IK_25519_AESGCM_SHA256',
        initiator: true,
        crypto: nodeCrypto,
        s: nodeCrypto.generateKeyPair(),
      }),
    isNoise('bad_state'),
  );
  assert.throws(
    () =>
      new HandshakeState({ protocol: 'Noise_XX_25519_AESGCM_SHA512', initiator: true, crypto: nodeCrypto }),
    isNoise('unsupported'),
  );
});

test('key log lines round-trip and malformed lines are refused', () => {
  const e = {
    handshakeHash: new Uint8Array(32).fill(1),
    initiatorToResponder: new Uint8Array(32).fill(2),
    responderToInitiator: new Uint8Array(32).fill(0xab),
  };
  const text = `# comment\n\n${formatKeyLogLine(e)}${formatKeyLogLine(e)}`;
  const parsed = parseKeyLog(text);
  assert.equal(parsed.length, 2);
  assert.deepEqual(parsed[0], e);
  assert.throws(() => parseKeyLog('PARLEY_NOISE 00 11 22'), /line 1/);
  assert.throws(() => parseKeyLog(`ok\n${formatKeyLogLine(e)}`), /line 1/);
});
