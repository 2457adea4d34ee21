import { isErrorCode, ParleyError } from '../protocol/errors.js';

export interface CodeAnswer {
  status: 'sent';
  length: number;
  method: string;
  retry_after?: number;
}

export interface RegisterAnswer {
  status: 'ok';
  login: string;
  device: number;
  server_key: string;
  chat_port?: number;
}

/** POSTs JSON to the registration API; a `fail` answer becomes a ParleyError with its reason. */
async function call<T>(httpUrl: string, path: string, body: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, httpUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new ParleyError('unavailable', `cannot reach ${httpUrl}: ${(err as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (json.status === 'fail' || !res.ok) {
    const reason = String(json.reason ?? 'internal');
    const retry = typeof json.retry_after === 'number' ? json.retry_after : undefined;
    throw new ParleyError(isErrorCode(reason) ? reason : 'internal', String(json.detail ?? reason), retry);
  }
  return json as T;
}

export function requestCode(
  httpUrl: string,
  number: string,
  key: Uint8Array,
  method: 'sms' | 'voice' = 'sms',
) {
  return call<CodeAnswer>(httpUrl, '/v1/code', { number, key: Buffer.from(key).toString('base64'), method });
}

export function register(httpUrl: string, number: string, key: Uint8Array, code: string) {
  return call<RegisterAnswer>(httpUrl, '/v1/register', {
    number,
    key: Buffer.from(key).toString('base64'),
    code,
  });
}
