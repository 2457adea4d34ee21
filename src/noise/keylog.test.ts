import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CipherState } from './cipher-state.js';
import { nodeCrypto } from './crypto-node.js';
import { NoiseError } from './errors.js';
import { HandshakeState } from './handshake-state.js';
import { formatKeyLogLine, type KeyLogEntry, parseKeyLog } from './keylog.js';

const te = new TextEncoder();
const entry: KeyLogEntry = {
  handshakeHash: new Uint8Array(32).fill(0x01),
  initiatorToResponder: Uint8Array.from({ length: 32 }, (_, i) => i),
  responderToInitiator: new Uint8Array(32).fill(0xab),
};

function badKeylog(line: number) {
  return (e: unknown) =>
    e instanceof NoiseError && e.code === 'bad_keylog' && e.message.includes(`line ${line}:`);
}

test('a key-log line has the documented format', () => {
  assert.equal(
    formatKeyLogLine(entry),
    `PARLEY_NOISE ${'01'.repeat(32)} 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ${'ab'.repeat(32)}\n`,
  );
});

test('lines round-trip; comments, blank lines, CRLF and upper-case hex are accepted', () => {
  const upper = formatKeyLogLine(entry).replace(/[a-f]/g, (x) => x.toUpperCase());
  const text = `# parley key log\n\n${formatKeyLogLine(entry)}   \r\n${upper.replace('\n', '\r\n')}# end\n`;
  assert.deepEqual(parseKeyLog(text), [entry, entry]);
  assert.deepEqual(parseKeyLog(upper)[0], entry);
  assert.deepEqual(parseKeyLog(''), []);
});

test('malformed lines are refused with the line number', () => {
  const good = formatKeyLogLine(entry);
  const h = 'ab'.repeat(32);
  assert.throws(() => parseKeyLog(`${good}CLIENT_RANDOM ${h} ${h} ${h}\n`), badKeylog(2));
  assert.throws(() => parseKeyLog(`PARLEY_NOISE ${h} ${h}`), badKeylog(1));
  assert.throws(() => parseKeyLog(`PARLEY_NOISE ${h} ${h} ${h} ${h}`), badKeylog(1));
  assert.throws(() => parseKeyLog(`# c\nPARLEY_NOISE ${h} ${h} ${h.slice(2)}`), badKeylog(2));
  assert.throws(() => parseKeyLog(`PARLEY_NOISE ${h} ${h.replace('a', 'g')} ${h}`), badKeylog(1));
  assert.throws(() => parseKeyLog('PARLEY_NOISE 00 11 22'), /each field must be 64 hex digits/);
  assert.throws(() => formatKeyLogLine({ ...entry, handshakeHash: new Uint8Array(31) }), NoiseError);
});

test('the logged keys decrypt the first transport frames of a real session in both directions', () => {
  const c = nodeCrypto;
  const protocol = 'Noise_XX_25519_AESGCM_SHA256';
  const ini = new HandshakeState({ protocol, initiator: true, crypto: c, s: c.generateKeyPair() });
  const res = new HandshakeState({ protocol, initiator: false, crypto: c, s: c.generateKeyPair() });
  res.readMessage(ini.writeMessage());
  ini.readMessage(res.writeMessage());
  res.readMessage(ini.writeMessage());
  const [i2r, r2i] = ini.split();
  const line = formatKeyLogLine({
    handshakeHash: ini.handshakeHash(),
    initiatorToResponder: i2r.key()!,
    responderToInitiator: r2i.key()!,
  });
  const up = i2r.encrypt(te.encode('first frame up'));
  const down = res.split()[1].encrypt(te.encode('first frame down'));

  const [logged] = parseKeyLog(line);
  assert.deepEqual(logged!.handshakeHash, res.handshakeHash());
  assert.deepEqual(
    new CipherState(c, 'AESGCM', logged!.initiatorToResponder).decrypt(up),
    te.encode('first frame up'),
  );
  assert.deepEqual(
    new CipherState(c, 'AESGCM', logged!.responderToInitiator).decrypt(down),
    te.encode('first frame down'),
  );
});
