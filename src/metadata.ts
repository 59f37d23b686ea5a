/**
 * The per-subject index of server-side sessions (spec 2.8, 5.1): each stored record of an entry that has
 * both an audience and a subject is listed under `base64url(audience)` and the encoded subject
 * (`base64url(subject)`, or `base64url(SHA-256(subject)[0..16))` with `hashSubject`), for every audience
 * alike (lua-resty-session 4.1.5 forgot the hash with two or more audiences: spec bug 10.2).
 *
 * @module
 */
import { base64urlEncode } from './codec/base64url.ts';
import type { SessionEntry } from './codec/payload.ts';
import type { ResolvedOptions } from './options.ts';
import type { StorageMetadata } from './storage/types.ts';

const encoder = new TextEncoder();

/** The index coordinates of one audience and subject. */
export function indexOf(o: ResolvedOptions, audience: string, subject: string): { audience: string; subject: string } {
  const raw = encoder.encode(subject);
  return {
    audience: base64urlEncode(encoder.encode(audience)),
    subject: base64urlEncode(o.hashSubject ? o.crypto.sha256(raw).subarray(0, 16) : raw),
  };
}

/** The metadata of a record holding `entries`, or `undefined` when nothing is to be indexed. */
export function metadataOf(o: ResolvedOptions, entries: readonly SessionEntry[]): StorageMetadata | undefined {
  if (!o.storeMetadata) return undefined;
  const audiences: string[] = [];
  const subjects: string[] = [];
  for (const e of entries) {
    if (e.subject === undefined) continue;
    const index = indexOf(o, e.audience, e.subject);
    audiences.push(index.audience);
    subjects.push(index.subject);
  }
  return audiences.length === 0 ? undefined : { audiences, subjects };
}
