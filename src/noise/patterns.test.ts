import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoiseError } from './errors.js';
import { PATTERNS, parseProtocolName, patternByName } from './patterns.js';

const unsupported = (e: unknown) => e instanceof NoiseError && e.code === 'unsupported';

test('XX and IK are the spec patterns', () => {
  const { pattern, cipher, dh, hash } = parseProtocolName('Noise_XX_25519_AESGCM_SHA256');
  assert.deepEqual([dh, cipher, hash], ['25519', 'AESGCM', 'SHA256']);
  assert.deepEqual(pattern.messages, [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']]);
  assert.deepEqual([pattern.initiatorPre, pattern.responderPre], [[], []]);
  const ik = parseProtocolName('Noise_IK_25519_ChaChaPoly_SHA256');
  assert.equal(ik.cipher, 'ChaChaPoly');
  assert.deepEqual(ik.pattern.responderPre, ['s']);
  assert.deepEqual(ik.pattern.messages, [
    ['e', 'es', 's', 'ss'],
    ['e', 'ee', 'se'],
  ]);
  assert.deepEqual(PATTERNS.KK!.initiatorPre, ['s']);
  assert.deepEqual(PATTERNS.KK!.responderPre, ['s']);
});

test('all 38 base patterns are well-formed', () => {
  assert.equal(Object.keys(PATTERNS).length, 38);
  for (const p of Object.values(PATTERNS)) {
    assert.ok(p.messages.length >= 1 && !p.responderFirst, p.name);
    assert.equal(p.oneWay, p.messages.length === 1 && ['N', 'K', 'X'].includes(p.name), p.name);
    for (const m of p.messages) {
      assert.ok(m.length > 0 && m.every((t) => ['e', 's', 'ee', 'es', 'se', 'ss'].includes(t)), p.name);
    }
    for (const t of [...p.initiatorPre, ...p.responderPre]) assert.ok(t === 'e' || t === 's', p.name);
  }
});

test('psk modifiers: psk0 opens the first message, pskN closes message N', () => {
  assert.deepEqual(patternByName('NNpsk0').messages, [
    ['psk', 'e'],
    ['e', 'ee'],
  ]);
  assert.deepEqual(patternByName('XXpsk3').messages, [['e'], ['e', 'ee', 's', 'es'], ['s', 'se', 'psk']]);
  assert.deepEqual(patternByName('NNpsk0+psk2').messages, [
    ['psk', 'e'],
    ['e', 'ee', 'psk'],
  ]);
  assert.equal(PATTERNS.NN!.messages[0]!.length, 1, 'modifiers do not touch the shared base pattern');
});

test('fallback turns the first message into a pre-message and lets the responder start', () => {
  const p = patternByName('XXfallback');
  assert.deepEqual(p.initiatorPre, ['e']);
  assert.deepEqual(p.messages, [
    ['e', 'ee', 's', 'es'],
    ['s', 'se'],
  ]);
  assert.equal(p.responderFirst, true);
  assert.throws(() => patternByName('NKfallback'), unsupported);
});

test('unsupported or malformed names are refused', () => {
  for (const name of [
    'Noise_XX_448_AESGCM_SHA256',
    'Noise_XX_25519_AESGCM_BLAKE2s',
    'Noise_XX_25519_AESGCM_SHA512',
    'Noise_XX_25519_AESCBC_SHA256',
    'Noise_XY_25519_AESGCM_SHA256',
    'Noise_XXpsk4_25519_AESGCM_SHA256',
    'Noise_XXhfs_25519_AESGCM_SHA256',
    'Noise_XX_25519_AESGCM',
    'NoisePSK_XX_25519_AESGCM_SHA256',
    '',
  ]) {
    assert.throws(() => parseProtocolName(name), unsupported, name);
  }
});
