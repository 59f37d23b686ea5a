/**
 * What a user might hand-roll instead of a session library, on node:crypto alone: the counter as JSON in
 * one cookie, sealed with AES-256-GCM under a key derived by HKDF-SHA256 from the secret and a random salt
 * that changes on every save (as httpsession derives a key per session id). Cookie value:
 * base64url(salt 16 | IV 12 | tag 16 | ciphertext). A cookie that does not open is a new session.
 * The pinned bench mode's yardstick for "what the crypto alone costs" (bench/pinned.ts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { main, reply, SECRET, serve } from './common.ts';

const NAME = 'hand';
const INFO = Buffer.from('hand-rolled cookie v1');
const secret = Buffer.from(SECRET);

function keyFor(salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, INFO, 32));
}

function open(value: string): { n?: number } | undefined {
  const raw = Buffer.from(value, 'base64url');
  if (raw.length < 45) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(raw.subarray(0, 16)), raw.subarray(16, 28));
    decipher.setAuthTag(raw.subarray(28, 44));
    const plain = Buffer.concat([decipher.update(raw.subarray(44)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as { n?: number };
  } catch {
    return undefined;
  }
}

function seal(data: object): string {
  const salt = randomBytes(28); // salt 16 | IV 12
  const cipher = createCipheriv('aes-256-gcm', keyFor(salt.subarray(0, 16)), salt.subarray(16));
  const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return Buffer.concat([salt, cipher.getAuthTag(), body]).toString('base64url');
}

function cookieValue(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === NAME) return part.slice(eq + 1).trim();
  }
  return undefined;
}

main(async () => {
  await serve((req, res) => {
    const value = cookieValue(req.headers.cookie);
    const data = (value === undefined ? undefined : open(value)) ?? {};
    const n = (data.n ?? 0) + 1;
    res.setHeader('set-cookie', `${NAME}=${seal({ n })}; Path=/; HttpOnly; SameSite=Lax`);
    reply(res, n);
  });
});
