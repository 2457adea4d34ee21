import type { ParleyModule } from '../core/module.js';
import { chatstate } from './chatstate.js';
import { contacts } from './contacts.js';
import { encrypt } from './encrypt/index.js';
import { messaging } from './messaging.js';
import { offline } from './offline.js';
import { ping } from './ping.js';
import { presence } from './presence.js';
import { privacy } from './privacy.js';
import { receipts } from './receipts.js';
import { type RegisterOptions, registerModule } from './register/index.js';

/** The modules a stock server runs, in setup order (hooks order themselves by priority, not by this list). */
export function defaultModules(opts: { register?: RegisterOptions } = {}): ParleyModule[] {
  return [
    registerModule(opts.register ?? {}),
    offline,
    messaging,
    receipts,
    encrypt,
    presence,
    chatstate,
    ping,
    privacy,
    contacts,
  ];
}
