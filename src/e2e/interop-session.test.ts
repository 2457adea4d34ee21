/**
 * Interop with the official libsignal (0.72.1, the last release that speaks X3DH): real sessions in
 * both directions, driven through libsignal-client's own API (processPreKeyBundle, signalEncrypt,
 * signalDecrypt, signalDecryptPreKey) on one side and Parley's SessionCipher on the other.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connect,
  LsParty,
  ParleyParty,
  type Party,
  prng,
  shuffle,
  text,
  untext,
} from '../../test/fixtures/e2e/libsignal-oracle.js';
import { nodeCrypto } from './crypto-node.js';
import { VERSION_BYTE } from './messages.js';

async function send(from: Party, to: Party, body: string): Promise<string> {
  const m = await from.encrypt(to.address, text(body));
  return untext(await to.decrypt(from.address, m));
}

/** Bursts of 1–5 messages alternating sides, so the DH ratchet turns on almost every reply. */
async function converse(a: Party, b: Party, messages: number, seed: number): Promise<void> {
  const random = prng(seed);
  let sent = 0;
  let turn = 0;
  while (sent < messages) {
    const [from, to] = turn++ % 2 === 0 ? [a, b] : [b, a];
    const burst = 1 + Math.floor(random() * 5);
    for (let i = 0; i < burst && sent < messages; i++, sent++) {
      const body = `${from.name}#${sent} ${'x'.repeat(Math.floor(random() * 300))}`;
      assert.equal(await send(from, to, body), body);
    }
  }
}

const parleyFlavours = [
  { label: 'noble, object store', make: (n: string) => new ParleyParty(n) },
  {
    label: 'node crypto, serialized store',
    make: (n: string) => new ParleyParty(n, 1, { crypto: nodeCrypto, serializeSessions: true }),
  },
];

for (const flavour of parleyFlavours) {
  describe(`Parley (${flavour.label}) ⇄ libsignal 0.72.1`, () => {
    it('Parley starts the session (with a one-time prekey); pkmsg until the first reply', async () => {
      const alice = flavour.make('alice');
      const bob = new LsParty('bob');
      await connect(alice, bob);
      const first = await alice.encrypt(bob.address, text('hello'));
      const second = await alice.encrypt(bob.address, text('hello again'));
      assert.equal(first.type, 'pkmsg');
      assert.equal(second.type, 'pkmsg');
      assert.equal(first.body[0], VERSION_BYTE);
      assert.equal(VERSION_BYTE, 0x34);
      assert.equal(untext(await bob.decrypt(alice.address, first)), 'hello');
      assert.equal(untext(await bob.decrypt(alice.address, second)), 'hello again');
      assert.equal(bob.preKeys.keys.size, 0, 'libsignal consumed its one-time prekey');
      const reply = await bob.encrypt(alice.address, text('hi alice'));
      assert.equal(reply.type, 'msg');
      assert.equal(reply.body[0], 0x34, 'libsignal 0.72.1 writes 0x34 for a v3 session');
      assert.equal(untext(await alice.decrypt(bob.address, reply)), 'hi alice');
      const after = await alice.encrypt(bob.address, text('now plain'));
      assert.equal(after.type, 'msg');
      assert.equal(untext(await bob.decrypt(alice.address, after)), 'now plain');
    });

    it('libsignal starts the session; Parley consumes its one-time prekey and answers', async () => {
      const alice = new LsParty('alice');
      const bob = flavour.make('bob') as ParleyParty;
      await connect(alice, bob);
      assert.equal(bob.stores.preKeys.size, 1);
      const first = await alice.encrypt(bob.address, text('from libsignal'));
      assert.equal(first.type, 'pkmsg');
      assert.equal(untext(await bob.decrypt(alice.address, first)), 'from libsignal');
      assert.equal(bob.stores.preKeys.size, 0, 'one-time prekey deleted after use');
      const reply = await bob.encrypt(alice.address, text('from parley'));
      assert.equal(reply.type, 'msg');
      assert.equal(untext(await alice.decrypt(bob.address, reply)), 'from parley');
      assert.equal((await alice.encrypt(bob.address, text('x'))).type, 'msg');
    });

    for (const [label, order] of [
      ['Parley', 'parley-first'],
      ['libsignal', 'libsignal-first'],
    ] as const) {
      it(`without a one-time prekey, ${label} initiating`, async () => {
        const p = flavour.make('p');
        const l = new LsParty('l');
        const [a, b]: [Party, Party] = order === 'parley-first' ? [p, l] : [l, p];
        await connect(a, b, { withoutOneTime: true });
        assert.equal(await send(a, b, 'no opk'), 'no opk');
        assert.equal(await send(b, a, 'still fine'), 'still fine');
        await converse(a, b, 20, 7);
      });
    }

    it('a long conversation both ways with ratchet turns (300 messages, each side initiating)', async () => {
      const p1 = flavour.make('p1');
      const l1 = new LsParty('l1');
      await connect(p1, l1);
      await converse(p1, l1, 300, 1);
      const p2 = flavour.make('p2');
      const l2 = new LsParty('l2');
      await connect(l2, p2);
      await converse(l2, p2, 300, 2);
    });

    it('out-of-order delivery within a chain and across ratchet turns, both directions', async () => {
      const p = flavour.make('p');
      const l = new LsParty('l');
      await connect(p, l);
      await send(p, l, 'setup');
      await send(l, p, 'ack');
      for (const [from, to, seed] of [
        [l, p, 3],
        [p, l, 4],
      ] as const) {
        // Three chains: a batch, a reply that turns the ratchet, another batch; delivered shuffled.
        // (Sequential: libsignal's stores are not locked per address, so concurrent encrypts would race.)
        const batch = async (prefix: string) => {
          const out = [];
          for (let i = 0; i < 30; i++)
            out.push([`${prefix}${i}`, await from.encrypt(to.address, text(`${prefix}${i}`))] as const);
          return out;
        };
        const batch1 = await batch('a');
        await send(to, from, 'turn');
        const batch2 = await batch('b');
        for (const [body, m] of shuffle([...batch1, ...batch2], prng(seed))) {
          assert.equal(untext(await to.decrypt(from.address, m)), body);
        }
        assert.equal(await send(from, to, 'in order again'), 'in order again');
      }
    });
  });
}
