import { readFileSync } from 'node:fs';

/** Decoded fields of one vector cookie, as recorded by the vector generator. */
export interface DecodedCookie {
  cookie_name: string;
  type: number;
  flags: number;
  sid_b64url: string;
  creation_time: number;
  rolling_offset: number;
  data_size: number;
  tag_hex: string;
  idling_offset: number;
  mac_hex: string;
  ikm_hex: string;
  plaintext_json: string;
  encrypted_plaintext_b64url: string;
  derived: { aes_key_hex: string; iv_hex: string; mac_key_hex: string };
}

/** One lua-resty-session vector. */
export interface Vector {
  name: string;
  description: string;
  lua_config: Record<string, unknown>;
  clock?: number;
  request?: { user_agent: string; scheme: string; remote_addr: string; cookie_header: string | null } | null;
  response?: { set_cookie?: string[] };
  decoded?: DecodedCookie;
  decoded_remember?: DecodedCookie;
  lua_open?: { exists: boolean; err: string | null; data?: unknown; audience?: string; subject?: string; props?: Record<string, unknown> } | null;
  steps?: Array<Record<string, unknown> & { at: number; action: string; set_cookie?: string[] }>;
  after_save?: { set_cookie: string[] };
  first_set_cookie?: string[];
  storage_after_save?: Record<string, { type: string; ttl: number; value: unknown }>;
  lua_open_as_my_application?: { exists: boolean; data: unknown; all: unknown[] };
}

/** The committed vector file (a copy of ../shared/spec/vectors/lua-resty-session-4.1.5.json). */
export const vectorFile = JSON.parse(
  readFileSync(new URL('../vectors/lua-resty-session-4.1.5.json', import.meta.url), 'utf8'),
) as { secret: string; ikm_from_secret_hex: string; direct_ikm: string; bind_context: { remote_addr: string; scheme: string; user_agent: string }; vectors: Vector[] };

/** The vector named `name`. */
export function vector(name: string): Vector {
  const v = vectorFile.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}

/** The cookie values of a list of Set-Cookie strings, by name. */
export function cookieValues(setCookies: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of setCookies) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/** Joins a chunked cookie's values (`name`, `name2`, ...) into one. */
export function joinedCookie(setCookies: readonly string[], name = 'session'): string {
  const values = cookieValues(setCookies);
  let out = values.get(name) ?? '';
  for (let i = 2; values.has(`${name}${i}`); i++) out += values.get(`${name}${i}`);
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
