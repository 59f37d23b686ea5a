/**
 * Property-based fuzzing of the cookie decoder and the Session (security checklist section 6, "Fuzzing
 * harness suggestions" and cases 3-7, 19): a corpus of valid cookies of every shape, mutated by bit flips,
 * truncations, splices, alphabet swaps and random bytes, and whole random Cookie headers. The invariant is
 * the same everywhere: `open` never throws, and yields either "no session" (a new, empty session with no
 * subject and no Set-Cookie) or EXACTLY the session one of the mutated cookies carried; the `onInvalid`
 * reason is a documented one and carries no cookie value.
 *
 * `FUZZ_RUNS` is the TOTAL number of cases over all properties (default 10 000, a few seconds);
 * `npm run fuzz` runs 1 000 000. `FUZZ_SEED` replays a run (fast-check prints the seed and path of a
 * failure).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import type { InvalidCookie, InvalidReason } from '../../src/errors.ts';
import type { HttpExchange } from '../../src/http/types.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { fixedClock, sequenceRandom } from '../../src/testing/index.ts';

// ------------------------------------------------------------------------------------------ budget

const TOTAL_RUNS = (() => {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === '') return 10_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FUZZ_RUNS expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
})();
const SEED = process.env.FUZZ_SEED === undefined || process.env.FUZZ_SEED === '' ? undefined : Number(process.env.FUZZ_SEED);

/** Share of the total per property (roughly balanced by cost per case). */
const WEIGHTS = {
  flip: 20,
  truncate: 10,
  splice: 15,
  swap: 15,
  arbitrary: 15,
  headers: 15,
  roundTrip: 10,
} as const;
type PropertyName = keyof typeof WEIGHTS;

/** numRuns per property; they add up to exactly TOTAL_RUNS (the first ones take the remainder). */
const RUNS: Record<PropertyName, number> = (() => {
  const names = Object.keys(WEIGHTS) as PropertyName[];
  const sum = names.reduce((s, n) => s + WEIGHTS[n], 0);
  const out = {} as Record<PropertyName, number>;
  let given = 0;
  for (const n of names) {
    out[n] = Math.floor((TOTAL_RUNS * WEIGHTS[n]) / sum);
    given += out[n];
  }
  for (let i = 0; given < TOTAL_RUNS; i = (i + 1) % names.length, given++) out[names[i]!]++;
  return out;
})();

const params = (name: PropertyName) => ({
  numRuns: RUNS[name],
  ...(SEED === undefined ? {} : { seed: SEED }),
});

// ------------------------------------------------------------------------------------------ setup

const SECRET = 'fuzz-tests-secret-0123456789abcdefghij';
const UA = 'fuzz-agent/1.0';
const URL_ = 'http://fuzz.test/';
const HEADER_CHARS = 110;
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HOSTILE = ['+', '/', '=', '!', '%', ' ', '\t', '\n', '\u0000', 'é'];
const REASONS: readonly InvalidReason[] = ['malformed', 'oversized', 'flags', 'unauthenticated', 'tampered', 'expired', 'missing-chunk', 'not-found'];
const NAMES = ['session', 'session2', 'session3', 'session4', 'session5', 'session6', 'session7', 'session8', 'session9', 'session10', 'remember', 'SESSION', '__proto__', 'constructor', 'x'];

const clock = fixedClock(1_700_000_000);
const random = sequenceRandom(11);
const quiet = { warn(): void {} };

/** One manager that opens fuzzed cookies, with its own onInvalid log. */
interface Opener {
  readonly label: string;
  readonly manager: SessionManager;
  readonly events: InvalidCookie[];
}

function opener(label: string, extra: SessionOptions = {}): Opener {
  const events: InvalidCookie[] = [];
  const { cookie, ...rest } = extra;
  const manager = createSessionManager({
    secret: SECRET,
    now: clock.now,
    randomBytes: random,
    logger: quiet,
    rememberSafety: 'low',
    // Pinned, whatever the library's default cookie naming is: the fuzzed headers use these names. The
    // largest budget, so that big cookies reach the decoder (the 'budget' opener keeps the default).
    cookie: { name: 'session', rememberName: 'remember', secure: false, maxSize: 36_864, ...cookie },
    onInvalid: (e) => void events.push(e),
    ...rest,
  });
  return { label, manager, events };
}

const store = memoryStorage();
const OPENERS: readonly Opener[] = [
  opener('main'),
  opener('other', { audience: 'other' }),
  opener('store', { storage: store }),
  // Restores sessions from remember cookies (a manager with remember-me off may refuse them).
  opener('remember', { remember: true }),
  // The default cookie budget: larger cookies are shed (expired) without being decoded.
  opener('budget', { cookie: { maxSize: 4096 } }),
];
const MAIN = 0;
const OTHER = 1;
const STORE = 2;
const REMEMBER = 3;

/** What a session looked like when it was saved / opened from the pristine cookie. */
interface Seen {
  readonly data: Record<string, unknown>;
  readonly subject: string | undefined;
  /** `undefined` when the id is not stable (a session restored from a remember cookie gets a new one). */
  readonly id: string | undefined;
}

/** One valid cookie of the corpus. */
interface Entry {
  readonly label: string;
  /** The cookie it is sent as. */
  readonly slot: 'session' | 'remember';
  /** The whole value (all chunks joined). */
  readonly value: string;
  /** The opener it belongs to. */
  readonly home: number;
  /** What each opener sees when opening the pristine cookie (`undefined`: no session). */
  readonly expected: Array<Seen | undefined>;
}

const corpus: Entry[] = [];

/** Splits a value into `name`, `name2`... chunks as the library does (4096 bytes per `name=value`). */
function pairsOf(name: string, value: string): Array<[string, string]> {
  if (name.length + 1 + value.length <= 4096) return [[name, value]];
  const first = 4096 - name.length - 1;
  const rest = 4096 - name.length - 2;
  const out: Array<[string, string]> = [[name, value.slice(0, first)]];
  for (let i = first, n = 2; i < value.length; i += rest, n++) out.push([`${name}${n}`, value.slice(i, i + rest)]);
  return out;
}

const headerOf = (pairs: ReadonlyArray<readonly [string, string]>): string => pairs.map(([n, v]) => `${n}=${v}`).join('; ');

/** A raw exchange, for Cookie headers that a Fetch `Request` refuses to carry (NUL, LF, non-Latin-1). */
function rawExchange(cookie: string, setCookies: string[]): HttpExchange {
  return {
    cookieHeader: () => cookie,
    requestHeader: (name) => (name === 'user-agent' ? UA : undefined),
    remoteAddress: () => undefined,
    scheme: () => 'http',
    setCookie: (name, line) => {
      const i = setCookies.findIndex((l) => l.startsWith(`${name}=`));
      if (i >= 0) setCookies.splice(i, 1);
      setCookies.push(line);
    },
    assertWritable: () => {},
    setResponseHeader: () => {},
    setRequestHeader: () => {},
  };
}

let rawRequests = 0;

/** Opens a Cookie header through an opener; Request + Headers when the header is representable. */
async function openHeader(o: Opener, cookie: string | undefined, how: 'open' | 'start' = 'open') {
  o.events.length = 0;
  let request: Request | undefined;
  try {
    request = new Request(URL_, { headers: cookie === undefined ? { 'user-agent': UA } : { cookie, 'user-agent': UA } });
  } catch {
    request = undefined; // a header value a Fetch Request cannot carry
  }
  if (request !== undefined) {
    const headers = new Headers();
    const session = how === 'open' ? await o.manager.open(request, headers) : await o.manager.start(request, headers);
    return { session, setCookies: headers.getSetCookie(), events: [...o.events] };
  }
  rawRequests++;
  const setCookies: string[] = [];
  const x = rawExchange(cookie ?? '', setCookies);
  const session = how === 'open' ? await o.manager.open(x) : await o.manager.start(x);
  return { session, setCookies, events: [...o.events] };
}

/** Runs one request that saves `data` (and `subject`), returning the Set-Cookie pairs and the saved id. */
async function issue(m: SessionManager, data: Record<string, unknown>, subject?: string, cookie?: string) {
  const request = new Request(URL_, { headers: cookie === undefined ? { 'user-agent': UA } : { cookie, 'user-agent': UA } });
  const headers = new Headers();
  const session = await m.open(request, headers);
  session.setData(data);
  if (subject !== undefined) session.setSubject(subject);
  await session.save();
  const jar = new Map<string, string>();
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (!/;\s*Max-Age=0(;|$)/.test(line)) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { jar, id: session.id };
}

/** The whole value of cookie `name` from a jar (chunks joined). */
function joined(jar: Map<string, string>, name: string): string {
  let out = jar.get(name) ?? '';
  for (let i = 2; i <= 9 && jar.has(`${name}${i}`); i++) out += jar.get(`${name}${i}`)!;
  return out;
}

/** A deterministic string of hex characters that does not compress. */
function noise(length: number): string {
  const bytes = sequenceRandom(99)(Math.ceil(length / 2));
  return Buffer.from(bytes).toString('hex').slice(0, length);
}

async function buildCorpus(): Promise<void> {
  const main = OPENERS[MAIN]!.manager;
  const chunky = opener('chunky', { compressionThreshold: 0 }).manager;
  const bound = opener('bound', { bind: ['userAgent'] }).manager;
  const remember = OPENERS[REMEMBER]!.manager;
  const other = OPENERS[OTHER]!.manager;
  const storeM = OPENERS[STORE]!.manager;

  const add = (label: string, slot: 'session' | 'remember', value: string, home: number, saved: Seen) => {
    corpus.push({ label, slot, value, home, expected: [] });
    return saved;
  };
  const saved: Seen[] = [];

  const small = { user: 'alice', n: 1, flags: [true, false, null] };
  let r = await issue(main, small);
  saved.push(add('small', 'session', joined(r.jar, 'session'), MAIN, { data: small, subject: undefined, id: r.id }));

  const large = { text: 'lorem ipsum dolor sit amet '.repeat(120), list: Array.from({ length: 50 }, (_, i) => ({ i, s: `item ${i}` })) };
  r = await issue(main, large);
  saved.push(add('deflated', 'session', joined(r.jar, 'session'), MAIN, { data: large, subject: undefined, id: r.id }));

  const huge = { blob: noise(6000), more: noise(100) };
  r = await issue(chunky, huge);
  assert.ok(r.jar.has('session2'), 'the chunked corpus cookie has a second chunk');
  saved.push(add('chunked', 'session', joined(r.jar, 'session'), MAIN, { data: huge, subject: undefined, id: r.id }));

  // An own "__proto__" attribute (JSON.parse defines it, an object literal would set the prototype).
  const withSubject = (): Record<string, unknown> => JSON.parse('{"role":"admin","__proto__":{"polluted":true},"constructor":"x"}') as Record<string, unknown>;
  r = await issue(main, withSubject(), 'alice@example.test');
  saved.push(add('subject', 'session', joined(r.jar, 'session'), MAIN, { data: withSubject(), subject: 'alice@example.test', id: r.id }));

  // Two audiences sharing one cookie: 'default' writes, then 'other' adds its own entry.
  const first = await issue(main, { app: 'default-side' }, 'bob');
  r = await issue(other, { app: 'other-side', k: [1, 2, 3] }, 'bob', headerOf([...first.jar]));
  saved.push(add('two-audiences', 'session', joined(r.jar, 'session'), MAIN, { data: { app: 'default-side' }, subject: 'bob', id: r.id }));
  corpus.push({ ...corpus.at(-1)!, label: 'two-audiences/other', home: OTHER });
  saved.push({ data: { app: 'other-side', k: [1, 2, 3] }, subject: 'bob', id: r.id });

  r = await issue(bound, { bound: 'to the user agent' });
  saved.push(add('bound', 'session', joined(r.jar, 'session'), MAIN, { data: { bound: 'to the user agent' }, subject: undefined, id: r.id }));

  r = await issue(remember, { remembered: 'yes' }, 'carol');
  saved.push(add('remember-session', 'session', joined(r.jar, 'session'), REMEMBER, { data: { remembered: 'yes' }, subject: 'carol', id: r.id }));
  saved.push(add('remember', 'remember', joined(r.jar, 'remember'), REMEMBER, { data: { remembered: 'yes' }, subject: 'carol', id: undefined }));

  for (const [label, data, subject] of [
    ['store-small', { cart: [1, 2] }, undefined],
    ['store-subject', { admin: true }, 'dave'],
    ['store-large', { text: 'x'.repeat(3000) }, 'erin'],
  ] as const) {
    r = await issue(storeM, data, subject);
    assert.equal(r.jar.get('session')!.length, HEADER_CHARS, 'server-side cookies are 110-character headers');
    saved.push(add(label, 'session', joined(r.jar, 'session'), STORE, { data, subject, id: r.id }));
  }

  // What each opener sees from each pristine cookie; the home opener must see exactly what was saved.
  for (const [i, entry] of corpus.entries()) {
    for (const o of OPENERS) {
      const { session, events } = await openHeader(o, headerOf(pairsOf(entry.slot, entry.value)));
      entry.expected.push(
        session.isNew ? undefined : { data: session.getData(), subject: session.subject, id: entry.slot === 'remember' ? undefined : session.id },
      );
      // Every corpus session carries data: one that opens empty (but not new) is a session this opener
      // never had, not one of the corpus.
      if (!session.isNew) assert.notDeepEqual(session.getData(), {}, `${entry.label} via ${o.label}: an existing session with no data`);
      if (o === OPENERS[entry.home]) {
        assert.deepEqual(events, [], `${entry.label}: the pristine cookie opens without onInvalid`);
        const want = saved[i]!;
        const got = entry.expected.at(-1);
        assert.ok(got !== undefined, `${entry.label}: the pristine cookie opens`);
        assert.deepEqual(got.data, want.data, `${entry.label}: data`);
        assert.equal(got.subject, want.subject, `${entry.label}: subject`);
        assert.equal(got.id, want.id, `${entry.label}: id`);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------ invariant

/** Outcomes of the current property, reported as test diagnostics. */
const stats = { cases: 0, none: 0, opened: 0, reasons: new Map<string, number>() };
function report(t: { diagnostic(message: string): void }): void {
  const reasons = [...stats.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
  t.diagnostic(`${stats.cases} requests: ${stats.none} no session, ${stats.opened} a source's session; onInvalid: ${reasons || 'none'}`);
  stats.cases = stats.none = stats.opened = 0;
  stats.reasons.clear();
}

/** A fuzzed request: the Cookie header's pairs and the corpus entries its values came from. */
interface Case {
  readonly pairs: Array<[string, string]>;
  readonly sources: readonly number[];
}

const B64URL_RUN = /[A-Za-z0-9_-]{20,}/;

/** The invariant: no throw, "no session" or exactly one source's session, clean onInvalid events. */
async function check(openerIndex: number, c: Case, how: 'open' | 'start' = 'open'): Promise<void> {
  const o = OPENERS[openerIndex]!;
  const cookie = c.pairs.length === 0 ? undefined : headerOf(c.pairs);
  const { session, setCookies, events } = await openHeader(o, cookie, how);
  stats.cases++;
  for (const e of events) stats.reasons.set(e.reason, (stats.reasons.get(e.reason) ?? 0) + 1);
  if (session.isNew) stats.none++;
  else stats.opened++;

  for (const e of events) {
    assert.deepEqual(Object.keys(e).sort(), ['cookie', 'detail', 'reason'], 'an onInvalid event has reason, cookie and detail only');
    assert.ok(REASONS.includes(e.reason), `undocumented reason ${JSON.stringify(e.reason)}`);
    assert.ok(e.cookie === 'session' || e.cookie === 'remember');
    assert.equal(typeof e.detail, 'string');
    assert.ok(!B64URL_RUN.test(e.detail), `detail looks like it carries cookie data: ${JSON.stringify(e.detail)}`);
    for (const [, v] of c.pairs) if (v.length >= 8) assert.ok(!e.detail.includes(v), 'detail carries a cookie value');
  }

  if (session.isNew) {
    assert.equal(session.state, 'new');
    assert.deepEqual(session.names(), [], 'no session: no attributes');
    assert.deepEqual(session.getData(), {}, 'no session: no data');
    assert.equal(session.subject, undefined, 'no session: no subject');
    // Nothing written, except the expiry of cookies over the size budget.
    const shed = events.some((e) => e.reason === 'oversized');
    assert.deepEqual(setCookies.filter((l) => !(shed && l.endsWith('; Max-Age=0'))), [], 'no session: nothing written');
    return;
  }
  const got: Seen = { data: session.getData(), subject: session.subject, id: session.id };
  const match = c.sources.some((s) => {
    const want = corpus[s]!.expected[openerIndex];
    if (want === undefined) return false;
    try {
      assert.deepStrictEqual(got.data, want.data);
    } catch {
      return false;
    }
    return got.subject === want.subject && (want.id === undefined || got.id === want.id);
  });
  assert.ok(
    match,
    `opener ${o.label} yielded a session none of the sources (${c.sources.map((s) => corpus[s]!.label).join(', ') || 'none'}) carried: ${JSON.stringify(got)}`,
  );
}

// ------------------------------------------------------------------------------------------ mutators

const entryArb = fc.nat().map((n) => n % corpus.length);
/** Mostly the entry's own opener (where mutations reach deepest), sometimes any. */
const openerFor = (entry: number) => fc.oneof({ weight: 7, arbitrary: fc.constant(corpus[entry]!.home) }, { weight: 3, arbitrary: fc.nat(OPENERS.length - 1) });
const single = (slot: string, value: string, sources: readonly number[]): Case => ({ pairs: pairsOf(slot, value), sources });

const isB64url = (s: string): boolean => /^[A-Za-z0-9_-]*$/.test(s) && s.length % 4 !== 1;

/** (i) Flips bits of the decoded bytes (header and payload decoded apart), or of characters directly. */
function flipBits(value: string, bits: readonly number[], mode: 'bytes' | 'chars', headerOnly: boolean): string {
  const head = value.slice(0, HEADER_CHARS);
  const tail = value.slice(HEADER_CHARS);
  if (mode === 'bytes' && isB64url(head) && isB64url(tail)) {
    const h = Buffer.from(head, 'base64url');
    const t = Buffer.from(tail, 'base64url');
    const all = Buffer.concat([h, t]);
    const span = headerOnly ? h.length : all.length;
    if (span > 0) {
      for (const b of bits) {
        const bit = b % (span * 8);
        all[bit >> 3] = all[bit >> 3]! ^ (1 << (bit & 7));
      }
      return all.subarray(0, h.length).toString('base64url') + all.subarray(h.length).toString('base64url');
    }
  }
  const chars = value.split('').map((c) => c.charCodeAt(0));
  const span = headerOnly ? Math.min(chars.length, HEADER_CHARS) : chars.length;
  if (span === 0) return value;
  for (const b of bits) {
    const pos = b % span;
    chars[pos] = chars[pos]! ^ (1 << ((b >>> 8) % 8));
  }
  return String.fromCharCode(...chars);
}

const flipArb = entryArb.chain((e) =>
  fc.record({
    e: fc.constant(e),
    opener: openerFor(e),
    bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    mode: fc.constantFrom('bytes' as const, 'chars' as const),
    headerOnly: fc.boolean(),
  }),
).map(({ e, opener, bits, mode, headerOnly }) => ({
  opener,
  c: single(corpus[e]!.slot, flipBits(corpus[e]!.value, bits, mode, headerOnly), [e]),
}));

/** (ii) Every proper prefix; for chunked cookies also one chunk truncated or dropped. */
const truncateArb = entryArb.chain((e) =>
  fc.record({ e: fc.constant(e), opener: openerFor(e), cut: fc.nat(), chunk: fc.nat(), mode: fc.constantFrom('prefix', 'chunk', 'drop') }),
).map(({ e, opener, cut, chunk, mode }) => {
  const { slot, value } = corpus[e]!;
  const pairs = pairsOf(slot, value);
  if (mode === 'prefix' || pairs.length === 1) return { opener, c: single(slot, value.slice(0, cut % value.length), [e]) };
  const k = chunk % pairs.length;
  if (mode === 'drop') return { opener, c: { pairs: pairs.filter((_, i) => i !== k), sources: [e] } };
  const [n, v] = pairs[k]!;
  const out = pairs.slice();
  out[k] = [n, v.slice(0, cut % v.length)];
  return { opener, c: { pairs: out, sources: [e] } };
});

function spliceHeaders(a: string, b: string, from: number, to: number): string {
  const ha = a.slice(0, HEADER_CHARS);
  const hb = b.slice(0, HEADER_CHARS);
  if (!isB64url(ha) || !isB64url(hb) || ha.length !== HEADER_CHARS || hb.length !== HEADER_CHARS) return ha + b.slice(HEADER_CHARS);
  const x = Buffer.from(hb, 'base64url');
  Buffer.from(ha, 'base64url').copy(x, from, from, to);
  return x.toString('base64url') + b.slice(HEADER_CHARS);
}

/** (iii) Prefix of A + suffix of B, header of A + payload of B, and header fields of A in B's header. */
const spliceArb = fc
  .record({
    a: entryArb,
    b: entryArb,
    i: fc.nat(),
    j: fc.nat(),
    mode: fc.constantFrom('cut', 'header', 'sid', 'field'),
    from: fc.nat(81),
    len: fc.integer({ min: 1, max: 32 }),
    useB: fc.boolean(),
    opener: fc.nat(OPENERS.length - 1),
  })
  .map(({ a, b, i, j, mode, from, len, useB, opener }) => {
    const A = corpus[a]!.value;
    const B = corpus[b]!.value;
    let value: string;
    if (mode === 'cut') value = A.slice(0, i % (A.length + 1)) + B.slice(j % (B.length + 1));
    else if (mode === 'header') value = A.slice(0, HEADER_CHARS) + B.slice(HEADER_CHARS);
    else if (mode === 'sid') value = spliceHeaders(A, B, 3, 35);
    else value = spliceHeaders(A, B, from, Math.min(82, from + len));
    return { opener: useB ? corpus[b]!.home : opener, c: single(corpus[useB ? b : a]!.slot, value, [a, b]) };
  });

/** (iv) Characters replaced by ones outside the url-safe alphabet, or by other url-safe ones. */
const swapArb = entryArb.chain((e) =>
  fc.record({
    e: fc.constant(e),
    opener: openerFor(e),
    swaps: fc.array(
      fc.record({ pos: fc.nat(), ch: fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom(...URL_SAFE)), headerOnly: fc.boolean() }),
      { minLength: 1, maxLength: 8 },
    ),
    standard: fc.boolean(),
    pad: fc.constantFrom('', '=', '=='),
  }),
).map(({ e, opener, swaps, standard, pad }) => {
  let chars = corpus[e]!.value.split('');
  if (standard) {
    // The standard base64 alphabet with padding: what a careless re-encoder would produce.
    chars = chars.map((c) => (c === '-' ? '+' : c === '_' ? '/' : c));
    chars.push(...pad);
  }
  for (const { pos, ch, headerOnly } of swaps) chars[pos % (headerOnly ? Math.min(HEADER_CHARS, chars.length) : chars.length)] = ch;
  return { opener, c: single(corpus[e]!.slot, chars.join(''), [e]) };
});

const b64urlString = (max: number) => fc.string({ unit: fc.constantFrom(...URL_SAFE), maxLength: max });

/** (v) Arbitrary strings and base64url-encoded bytes of 0..5000 characters, some behind a valid header. */
const slotArb = fc.constantFrom('session', 'remember');
const anyOpener = fc.nat(OPENERS.length - 1);
const headerText = (e: number): string => corpus[e]!.value.slice(0, HEADER_CHARS);
const arbitraryArb: fc.Arbitrary<{ opener: number; c: Case }> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ v: fc.string({ unit: 'binary', maxLength: 5000 }), slot: slotArb, opener: anyOpener }).map(({ v, slot, opener }) => ({ opener, c: single(slot, v, []) })),
  },
  {
    weight: 4,
    arbitrary: fc.record({ v: b64urlString(5000), slot: slotArb, opener: anyOpener }).map(({ v, slot, opener }) => ({ opener, c: single(slot, v, []) })),
  },
  {
    weight: 4,
    arbitrary: fc.record({ v: fc.uint8Array({ maxLength: 3750 }), slot: slotArb, opener: anyOpener }).map(({ v, slot, opener }) => ({
      opener,
      c: single(slot, Buffer.from(v).toString('base64url'), []),
    })),
  },
  // A valid header followed by random bytes, random characters, or random bytes of exactly the declared
  // size (which reach AES-GCM and must fail its tag).
  {
    weight: 6,
    arbitrary: entryArb.chain((e) =>
      fc
        .oneof(
          fc.uint8Array({ maxLength: 3600 }).map((b) => Buffer.from(b).toString('base64url')),
          fc.string({ unit: 'binary', maxLength: 5000 - HEADER_CHARS }),
          fc
            .uint8Array({ minLength: plaintextLength(e), maxLength: plaintextLength(e) })
            .map((b) => Buffer.from(b).toString('base64url')),
        )
        .map((tail) => ({ opener: corpus[e]!.home, c: single(corpus[e]!.slot, headerText(e) + tail, [e]) })),
    ),
  },
  // Past the 9 x 4 KiB budget: rejected by the length guard before any decoding (checklist case 11).
  {
    weight: 1,
    arbitrary: fc.record({ n: fc.integer({ min: 36_865, max: 70_000 }), unit: fc.constantFrom(...URL_SAFE), e: entryArb }).map(({ n, unit, e }) => ({
      opener: corpus[e]!.home,
      c: { pairs: [['session', headerText(e) + unit.repeat(n - HEADER_CHARS)]] as Array<[string, string]>, sources: [] },
    })),
  },
);

/** The plaintext length behind an entry's payload (its base64url length is the header's data size). */
function plaintextLength(e: number): number {
  return Math.floor(((corpus[e]!.value.length - HEADER_CHARS) * 3) / 4);
}

/** A value from any mutator, with its sources. */
const valueArb: fc.Arbitrary<{ value: string; sources: readonly number[] }> = fc.oneof(
  entryArb.map((e) => ({ value: corpus[e]!.value, sources: [e] })),
  entryArb.chain((e) => fc.nat().map((k) => {
    const pairs = pairsOf(corpus[e]!.slot, corpus[e]!.value);
    return { value: pairs[k % pairs.length]![1], sources: [e] };
  })),
  ...[flipArb, truncateArb, spliceArb, swapArb, arbitraryArb].map((arb) =>
    arb.map(({ c }) => ({ value: c.pairs.map(([, v]) => v).join(''), sources: c.sources })),
  ),
  fc.string({ maxLength: 40 }).map((value) => ({ value, sources: [] })),
);

/** (vi) Whole Cookie headers of random `name=value` pairs. */
const headersArb = fc
  .record({
    pairs: fc.array(fc.tuple(fc.constantFrom(...NAMES), valueArb), { maxLength: 12 }),
    opener: fc.nat(OPENERS.length - 1),
    how: fc.constantFrom('open' as const, 'start' as const),
  })
  .map(({ pairs, opener, how }) => ({
    opener,
    how,
    c: { pairs: pairs.map(([n, v]): [string, string] => [n, v.value]), sources: [...new Set(pairs.flatMap(([, v]) => v.sources))] },
  }));

// ------------------------------------------------------------------------------------------ round trip

/** JSON values that survive a JSON round trip exactly, with hostile keys (`__proto__` among them). */
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '@timeouts', '@remember', '') },
);
const { json: jsonArb } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)), // -0: see the report
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(keyArb, tie('json'), { maxKeys: 5 }),
  ),
}));
const attributeName = keyArb.filter((k) => k !== '' && !k.startsWith('@'));
const dataArb = fc
  .dictionary(attributeName, jsonArb, { maxKeys: 8 })
  .filter((d) => Buffer.byteLength(JSON.stringify(d)) <= 8000) as fc.Arbitrary<Record<string, unknown>>;

const ROUND_TRIP = [
  opener('rt-cookie'),
  opener('rt-chunked', { compressionThreshold: 0 }),
  opener('rt-store', { storage: memoryStorage({ maxEntries: 1000 }), hashStorageKey: true }),
];

// ------------------------------------------------------------------------------------------ properties

describe('fuzz: the decoder and the Session never throw and never yield another session', { concurrency: false }, () => {
  before(buildCorpus);

  it(`budget: ${TOTAL_RUNS} cases in total (${Object.entries(RUNS).map(([k, v]) => `${k} ${v}`).join(', ')})`, () => {
    assert.equal(Object.values(RUNS).reduce((s, n) => s + n, 0), TOTAL_RUNS);
    assert.ok(corpus.length >= 10);
  });

  it('(i) 1-8 bit flips anywhere in the value (decoded bytes or raw characters)', async (t) => {
    await fc.assert(fc.asyncProperty(flipArb, ({ opener, c }) => check(opener, c)), params('flip'));
    report(t);
  });

  it('(ii) truncation at any length, a truncated or missing chunk', async (t) => {
    await fc.assert(fc.asyncProperty(truncateArb, ({ opener, c }) => check(opener, c)), params('truncate'));
    report(t);
  });

  it('(iii) splices: prefix of A + suffix of B, header of A + payload of B, sid or fields of A in B', async (t) => {
    await fc.assert(fc.asyncProperty(spliceArb, ({ opener, c }) => check(opener, c)), params('splice'));
    report(t);
  });

  it('(iv) alphabet swaps: + / = ! % space tab LF NUL é and other url-safe characters', async (t) => {
    await fc.assert(fc.asyncProperty(swapArb, ({ opener, c }) => check(opener, c)), params('swap'));
    report(t);
  });

  it('(v) arbitrary strings and bytes of 0..5000 characters, some behind a valid header', async (t) => {
    await fc.assert(fc.asyncProperty(arbitraryArb, ({ opener, c }) => check(opener, c)), params('arbitrary'));
    report(t);
  });

  it('(vi) whole Cookie headers of random name=value pairs', async (t) => {
    await fc.assert(fc.asyncProperty(headersArb, ({ opener, how, c }) => check(opener, c, how)), params('headers'));
    report(t);
  });

  it('round trip: any JSON data (hostile keys included) and subject survive save then open exactly', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: undefined }), fc.nat(ROUND_TRIP.length - 1), async (data, subject, k) => {
        const o = ROUND_TRIP[k]!;
        const { jar, id } = await issue(o.manager, data, subject);
        const { session, events, setCookies } = await openHeader(o, headerOf([...jar]));
        assert.deepEqual(events, []);
        assert.deepEqual(setCookies, []);
        assert.equal(session.isNew, false);
        assert.equal(session.id, id);
        assert.equal(session.subject, subject);
        const got = session.getData();
        assert.deepStrictEqual(got, JSON.parse(JSON.stringify(data)));
        assert.equal(JSON.stringify(got), JSON.stringify(data));
        assert.equal(Object.getPrototypeOf({}).polluted, undefined);
      }),
      params('roundTrip'),
    );
  });

  it('the harness reached the raw-exchange path for headers a Request refuses', () => {
    if (TOTAL_RUNS >= 1000) assert.ok(rawRequests > 0);
  });
});

/** Findings of this harness, fixed in src/ and kept as regression tests. */
describe('fuzz findings (fixed)', { concurrency: false }, () => {
  it('a remember cookie sealed for another audience yields no session (isNew true), like a session cookie does', async () => {
    const writer = opener('finding-writer', { remember: true });
    const reader = opener('finding-reader', { audience: 'elsewhere', remember: true });
    const { jar } = await issue(writer.manager, { secret: 'audience A data' }, 'carol');
    const viaSession = await openHeader(reader, `session=${jar.get('session')!}`);
    assert.equal(viaSession.session.isNew, true, 'the session cookie of another audience: no session');
    const viaRemember = await openHeader(reader, `remember=${jar.get('remember')!}`);
    assert.deepEqual(viaRemember.session.getData(), {}, 'no data of the other audience');
    assert.equal(viaRemember.session.isNew, true, 'the remember cookie of another audience: no session either');
  });

  it('-0 is refused by set(), or survives the round trip', async () => {
    const o = opener('finding-negative-zero');
    let refused = false;
    let jar: Map<string, string> | undefined;
    try {
      ({ jar } = await issue(o.manager, { n: -0 }));
    } catch (err) {
      refused = err instanceof TypeError;
    }
    if (refused) return;
    const { session } = await openHeader(o, headerOf([...jar!]));
    assert.ok(Object.is(session.get('n'), -0), `reopened as ${String(session.get('n'))}`);
  });
});
