import { z } from 'zod';
import { ParleyError } from '../../../protocol/errors.js';
import { normalizeNumber } from '../../../protocol/jid.js';
import { fromBase64 } from '../../../wire/index.js';

/** A Noise static public key: canonical, padded standard base64 of exactly 32 bytes. */
const Key = z
  .string()
  .max(64)
  .refine((s) => fromBase64(s)?.length === 32, 'must be base64 of exactly 32 bytes');

/** The number as `number` (E.164, `+` and separators optional) or as country code `cc` plus `in`. */
const Identity = z.object({
  number: z.string().max(32).optional(),
  cc: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .optional(),
  in: z.string().max(24).optional(),
  key: Key,
});

export const ExistRequest = Identity;

export const CodeRequest = Identity.extend({
  method: z.enum(['sms', 'voice']),
  lg: z
    .string()
    .regex(/^[a-z]{2,3}$/)
    .optional(),
  lc: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .optional(),
  mcc: z
    .string()
    .regex(/^[0-9]{3}$/)
    .optional(),
  mnc: z
    .string()
    .regex(/^[0-9]{2,3}$/)
    .optional(),
});

export const RegisterRequest = Identity.extend({
  /** Digits; `-` and spaces (as in `123-456`) are ignored. */
  code: z.string().max(32),
});

/** Validates a body; any problem is `bad_param` naming the field (never echoing its value). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ParleyError('bad_param', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

/** The E.164 digits the request names; `bad_param` when it names none, an invalid one, or two. */
export function numberOf(r: {
  number?: string | undefined;
  cc?: string | undefined;
  in?: string | undefined;
}): string {
  const fromNumber = r.number === undefined ? undefined : normalizeNumber(r.number);
  const fromParts = r.cc !== undefined && r.in !== undefined ? normalizeNumber(r.cc + r.in) : undefined;
  if (r.number !== undefined && fromNumber === undefined)
    throw new ParleyError('bad_param', 'number: not E.164');
  if (r.number === undefined && (r.cc === undefined || r.in === undefined)) {
    throw new ParleyError('bad_param', 'number: give number, or cc and in');
  }
  if (r.number === undefined && fromParts === undefined) throw new ParleyError('bad_param', 'in: not E.164');
  if (fromNumber !== undefined && fromParts !== undefined && fromNumber !== fromParts) {
    throw new ParleyError('bad_param', 'number: differs from cc and in');
  }
  return (fromNumber ?? fromParts)!;
}
