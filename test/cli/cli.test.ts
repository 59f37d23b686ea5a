/**
 * The `httpsession` CLI, run in-process through `main` with captured output: every cookie of the
 * lua-resty-session vectors inspects as valid with its decoded header and data, the failure verdicts
 * (expired, unauthenticated, malformed, flags, missing chunk), key rotation, usage errors, the `secret`
 * command, and one run in a child process for the real exit code.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main, type InspectReport } from '../../src/cli.ts';
import { cookieValues, joinedCookie, vector, vectorFile, type DecodedCookie, type Vector } from '../helpers/vectors.ts';

const SECRET = vectorFile.secret;
const BIND = ['--bind-ip', '127.0.0.1', '--bind-scheme', 'http', '--bind-user-agent', 'vector-agent/1.0'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  report: InspectReport;
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  let report = undefined as unknown as InspectReport;
  if (stdout.startsWith('{')) report = JSON.parse(stdout) as InspectReport;
  return { code, stdout, stderr, report };
}

/** The `Cookie` request header a browser would send back for these Set-Cookie lines. */
function cookieHeader(setCookies: readonly string[]): string {
  return [...cookieValues(setCookies)].map(([name, value]) => `${name}=${value}`).join('; ');
}

function assertDecoded(report: InspectReport, d: DecodedCookie): void {
  assert.ok(report.header);
  assert.equal(report.header.type, d.type);
  assert.equal(report.header.flags, d.flags);
  assert.equal(report.header.sid, d.sid_b64url);
  assert.equal(report.header.creationTime, d.creation_time);
  assert.equal(report.header.rollingOffset, d.rolling_offset);
  assert.equal(report.header.dataSize, d.data_size);
  assert.equal(report.header.idlingOffset, d.idling_offset);
  const plaintext = JSON.parse(d.plaintext_json) as unknown[][];
  assert.deepEqual(
    report.audiences,
    plaintext.map(([data, audience, subject]) => ({ audience, subject: subject ?? null, data })),
  );
}

function assertValid(r: Run): void {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.report.valid, true);
  assert.equal(r.report.reason, null);
  assert.equal(r.report.detail, null);
}

/** Extra arguments a vector needs, by name. */
function argsFor(v: Vector): string[] {
  const args = ['--secret', SECRET, '--now', String(v.clock ?? v.decoded?.creation_time ?? 0)];
  if (v.name === 'bind_all') args.push(...BIND);
  if (v.name.startsWith('shm')) args.push('--storage');
  const config = v.lua_config;
  for (const name of ['idling_timeout', 'rolling_timeout', 'absolute_timeout']) {
    if (typeof config[name] === 'number') args.push(`--${name.replace('_', '-')}`, String(config[name]));
  }
  return args;
}

const withCookie = vectorFile.vectors.filter((v) => v.decoded !== undefined);

describe('inspect: every vector cookie', () => {
  for (const v of withCookie) {
    it(`${v.name}: valid, with the decoded header and data (value)`, async () => {
      const setCookies = v.response!.set_cookie!;
      const r = await run('inspect', ...argsFor(v), joinedCookie(setCookies));
      assertValid(r);
      assert.equal(r.report.keyIndex, 0);
      if (v.name.startsWith('shm')) {
        assert.equal(r.report.payload, 'in storage');
        assert.equal(r.report.audiences, null);
        assert.equal(r.report.storageKey, v.decoded!.sid_b64url);
        assert.equal(r.report.header?.flags, v.decoded!.flags);
        assert.deepEqual(r.report.header?.flagNames, ['storage']);
        // The record the server keeps is under "session:<storageKey>".
        assert.ok(Object.hasOwn(v.storage_after_save!, `session:${r.report.storageKey}`));
      } else {
        assertDecoded(r.report, v.decoded!);
      }
    });

    it(`${v.name}: valid from the whole Cookie header`, async () => {
      const r = await run('inspect', ...argsFor(v), `Cookie: other=1; ${cookieHeader(v.response!.set_cookie!)}`);
      assertValid(r);
      assert.equal(r.report.header?.sid, v.decoded!.sid_b64url);
    });
  }

  it('no_timeouts / upstream_t01_test3: all timeouts off → remaining all null', async () => {
    const v = vector('upstream_t01_test3');
    const r = await run('inspect', ...argsFor(v), '--now', '2000000000', joinedCookie(v.response!.set_cookie!));
    assertValid(r);
    assert.deepEqual(r.report.remaining, { idling: null, rolling: null, absolute: null, timeout: null });
  });

  it('upstream_t01_test3 at default timeouts is expired (absolute), data still shown', async () => {
    const v = vector('upstream_t01_test3');
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', joinedCookie(v.response!.set_cookie!));
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'expired');
    assert.equal(r.report.detail, 'session absolute timeout exceeded');
    assertDecoded(r.report, v.decoded!);
    assert.deepEqual(r.report.remaining, { idling: 0, rolling: 0, absolute: 0, timeout: 0 });
  });

  it('basic: remaining at +100 s with the default timeouts', async () => {
    const v = vector('basic');
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000100', joinedCookie(v.response!.set_cookie!));
    assertValid(r);
    assert.deepEqual(r.report.remaining, { idling: 800, rolling: 3500, absolute: 86300, timeout: 800 });
  });

  it('deflate and bind_all: flag names', async () => {
    const d = await run('inspect', ...argsFor(vector('deflate')), joinedCookie(vector('deflate').response!.set_cookie!));
    assert.deepEqual(d.report.header?.flagNames, ['deflate']);
    const b = await run('inspect', ...argsFor(vector('bind_all')), joinedCookie(vector('bind_all').response!.set_cookie!));
    assert.deepEqual(b.report.header?.flagNames, ['bind-ip', 'bind-scheme', 'bind-user-agent']);
  });

  it('bind_all without or with a wrong binding: unauthenticated, with a hint', async () => {
    const value = joinedCookie(vector('bind_all').response!.set_cookie!);
    const none = await run('inspect', '--secret', SECRET, '--now', '1700000000', value);
    assert.equal(none.code, 1);
    assert.equal(none.report.reason, 'unauthenticated');
    assert.match(none.stderr, /--bind-ip, --bind-scheme, --bind-user-agent/);
    const wrong = await run('inspect', '--secret', SECRET, '--now', '1700000000', ...BIND.slice(0, 5), 'other-agent', value);
    assert.equal(wrong.report.reason, 'unauthenticated');
  });

  it('chunked: a lone first chunk is missing-chunk (exit 1)', async () => {
    const v = vector('chunked');
    const first = cookieValues(v.response!.set_cookie!).get('session')!;
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', first);
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'missing-chunk');
    assert.equal(r.report.keyIndex, 0);
    assert.match(r.stderr, /chunked/);
  });

  it('chunked: the chunks joined into one value are cut back into chunks', async () => {
    const v = vector('chunked');
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', joinedCookie(v.response!.set_cookie!));
    assertValid(r);
    assertDecoded(r.report, v.decoded!);
  });

  it('--cookie-name picks the cookie out of a header', async () => {
    const value = joinedCookie(vector('basic').response!.set_cookie!);
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', '--cookie-name', '__Host-sid', `session=garbage; __Host-sid=${value}`);
    assertValid(r);
    assert.equal(r.report.header?.sid, vector('basic').decoded!.sid_b64url);
  });

  it('multi_audience: the request cookie too, and --audience', async () => {
    const v = vector('multi_audience');
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', '--audience', 'second_app', v.request!.cookie_header!);
    assertValid(r);
    assert.deepEqual(r.report.audiences, [
      { audience: 'my_application', subject: 'Lua Fan', data: { quote: 'Lorem ipsum dolor sit amet' } },
    ]);
  });
});

describe('inspect: remember cookies', () => {
  const v = vector('remember_medium');
  const setCookies = v.response!.set_cookie!;

  it('remember_medium: the remember cookie with --remember (value and header)', async () => {
    const byValue = await run('inspect', '--secret', SECRET, '--now', '1700000000', '--remember', joinedCookie(setCookies, 'remember'));
    assertValid(byValue);
    assertDecoded(byValue.report, v.decoded_remember!);
    assert.deepEqual(byValue.report.remaining, { idling: null, rolling: 604800, absolute: 2592000, timeout: 604800 });
    const byHeader = await run('inspect', '--secret', SECRET, '--now', '1700000000', '--remember', '--remember-safety', 'medium', cookieHeader(setCookies));
    assertValid(byHeader);
    assert.equal(byHeader.report.header?.sid, v.decoded_remember!.sid_b64url);
  });

  it('remember_medium: the session cookie without --remember', async () => {
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', cookieHeader(setCookies));
    assertValid(r);
    assertDecoded(r.report, v.decoded!);
  });

  it('a wrong --remember-safety cannot decrypt (tampered), but the header authenticates', async () => {
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', '--remember', '--remember-safety', 'low', joinedCookie(setCookies, 'remember'));
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'tampered');
    assert.equal(r.report.keyIndex, 0);
    assert.equal(r.report.audiences, null);
  });

  it('remember timeouts come from --rolling-timeout / --absolute-timeout', async () => {
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000101', '--remember', '--rolling-timeout', '100', joinedCookie(setCookies, 'remember'));
    assert.equal(r.code, 1);
    assert.equal(r.report.detail, 'session remember rolling timeout exceeded');
  });
});

describe('inspect: the timeline vector', () => {
  const steps = vector('timeline_touch_refresh').steps!;

  for (const step of steps.filter((s) => (s.set_cookie?.length ?? 0) > 0)) {
    it(`${step.action} at ${step.at}: valid at its clock`, async () => {
      const r = await run('inspect', '--secret', SECRET, '--now', String(step.at), joinedCookie(step.set_cookie!));
      assertValid(r);
    });
  }

  it('the first cookie at +901 s: expired (idling), exit 1, data still shown', async () => {
    const first = steps[0]!;
    const r = await run('inspect', '--secret', SECRET, '--now', String(first.at + 901), joinedCookie(first.set_cookie!));
    assert.equal(r.code, 1);
    assert.equal(r.report.valid, false);
    assert.equal(r.report.reason, 'expired');
    assert.equal(r.report.detail, 'session idling timeout exceeded');
    assert.equal(r.report.keyIndex, 0);
    assert.deepEqual(r.report.audiences, [
      { audience: 'my_application', subject: 'Lua Fan', data: { quote: 'Lorem ipsum dolor sit amet' } },
    ]);
    assert.deepEqual(r.report.remaining, { idling: 0, rolling: 2699, absolute: 85499, timeout: 0 });
  });

  it('--storage judges the header timeouts too', async () => {
    const v = vector('shm');
    const r = await run('inspect', '--secret', SECRET, '--storage', '--now', '1700000901', joinedCookie(v.response!.set_cookie!));
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'expired');
    assert.equal(r.report.detail, 'session idling timeout exceeded');
    assert.equal(r.report.payload, 'in storage');
  });
});

describe('inspect: keys', () => {
  it('fallback_rotation: the response cookie authenticates with the third key', async () => {
    const v = vector('fallback_rotation');
    const r = await run('inspect', '--secret', 'NewSecret-2', '--secret', 'Old-1', '--secret', SECRET, '--now', '1700000000', joinedCookie(v.response!.set_cookie!));
    assertValid(r);
    assert.equal(r.report.keyIndex, 2);
    assert.deepEqual(r.report.audiences?.[0]?.data, v.lua_open!.data);
  });

  it('fallback_rotation: the re-issued cookie authenticates with the current key', async () => {
    const v = vector('fallback_rotation');
    const r = await run('inspect', '--secret', 'NewSecret-2', '--secret', 'Old-1', '--secret', SECRET, '--now', '1700000000', joinedCookie(v.after_save!.set_cookie));
    assertValid(r);
    assert.equal(r.report.keyIndex, 0);
  });

  it('--ikm-hex works like --secret, and keys count in command-line order', async () => {
    const v = vector('basic');
    const value = joinedCookie(v.response!.set_cookie!);
    const ikm = await run('inspect', '--ikm-hex', vectorFile.ikm_from_secret_hex, '--now', '1700000000', value);
    assertValid(ikm);
    assertDecoded(ikm.report, v.decoded!);
    assert.equal(ikm.report.keyIndex, 0);
    const mixed = await run('inspect', '--secret', 'other', '--ikm-hex', vectorFile.ikm_from_secret_hex.toUpperCase(), '--now', '1700000000', value);
    assertValid(mixed);
    assert.equal(mixed.report.keyIndex, 1);
  });

  it('a wrong secret: unauthenticated, exit 1, header shown, nothing decrypted', async () => {
    const v = vector('basic');
    const r = await run('inspect', '--secret', 'not-the-secret', '--now', '1700000000', joinedCookie(v.response!.set_cookie!));
    assert.equal(r.code, 1);
    assert.equal(r.report.valid, false);
    assert.equal(r.report.reason, 'unauthenticated');
    assert.equal(r.report.detail, 'invalid session message authentication code');
    assert.equal(r.report.header?.sid, v.decoded!.sid_b64url);
    assert.equal(r.report.keyIndex, null);
    assert.equal(r.report.audiences, null);
    assert.equal(r.report.remaining, null);
  });

  it('the secrets never appear in the output', async () => {
    const secrets = ['NewSecret-2', 'Old-1', SECRET];
    const v = vector('fallback_rotation');
    const outputs = [
      await run('inspect', ...secrets.flatMap((s) => ['--secret', s]), '--now', '1700000000', joinedCookie(v.response!.set_cookie!)),
      await run('inspect', '--secret', SECRET, '--now', '1700009999', joinedCookie(v.response!.set_cookie!)),
      await run('inspect', '--secret', SECRET, 'garbage'),
      await run('inspect', `--secret=${SECRET}`, `--bogus=${SECRET}`, 'x'),
      await run('inspect', '--secret', SECRET, '--ikm-hex', 'zz', 'x'),
      await run('inspect', '--ikm-hex', vectorFile.ikm_from_secret_hex, 'x'),
    ];
    for (const o of outputs) {
      for (const s of [...secrets, vectorFile.ikm_from_secret_hex]) {
        assert.ok(!o.stdout.includes(s) && !o.stderr.includes(s), `leaked a key in ${o.stdout}${o.stderr}`);
      }
    }
  });
});

describe('inspect: malformed input', () => {
  it('garbage: malformed, exit 1, no header', async () => {
    const r = await run('inspect', '--secret', SECRET, 'garbage');
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'malformed');
    assert.equal(r.report.detail, 'invalid session header');
    assert.equal(r.report.header, null);
    assert.equal(r.report.keyIndex, null);
    assert.equal(r.report.remaining, null);
  });

  it('an empty cookie in a header: malformed', async () => {
    const r = await run('inspect', '--secret', SECRET, 'session=');
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'malformed');
  });

  it('a payload cookie with --storage, or a storage cookie without: flags, with a hint', async () => {
    const withPayload = await run('inspect', '--secret', SECRET, '--storage', '--now', '1700000000', joinedCookie(vector('basic').response!.set_cookie!));
    assert.equal(withPayload.report.reason, 'flags');
    assert.match(withPayload.stderr, /drop --storage/);
    const storage = await run('inspect', '--secret', SECRET, '--now', '1700000000', joinedCookie(vector('shm').response!.set_cookie!));
    assert.equal(storage.code, 1);
    assert.equal(storage.report.reason, 'flags');
    assert.match(storage.stderr, /pass --storage/);
  });

  it('several cookies of the name: the valid one is shown', async () => {
    const good = joinedCookie(vector('basic').response!.set_cookie!);
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', `session=${'A'.repeat(120)}; session=${good}`);
    assertValid(r);
    assert.match(r.stderr, /2 cookies named session; showing #2/);
  });
});

describe('usage errors (exit 2)', () => {
  const value = joinedCookie(vector('basic').response!.set_cookie!);
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /missing command/],
    ['unknown command', ['frobnicate'], /unknown command/],
    ['unknown flag', ['inspect', '--secret', SECRET, '--bogus', value], /unknown option '--bogus'/],
    ['missing COOKIE', ['inspect', '--secret', SECRET], /missing COOKIE/],
    ['two COOKIEs', ['inspect', '--secret', SECRET, value, value], /expected one COOKIE/],
    ['no key', ['inspect', value], /--secret or --ikm-hex/],
    ['bad hex', ['inspect', '--ikm-hex', 'abcd', value], /64 hex characters/],
    ['bad --now', ['inspect', '--secret', SECRET, '--now', 'yesterday', value], /--now/],
    ['bad timeout', ['inspect', '--secret', SECRET, '--idling-timeout', '1.5', value], /--idling-timeout/],
    ['timeout out of range', ['inspect', '--secret', SECRET, '--idling-timeout', '99999999', value], /--idling-timeout/],
    ['bad --remember-safety', ['inspect', '--secret', SECRET, '--remember', '--remember-safety', 'extreme', value], /--remember-safety/],
    ['--idling-timeout with --remember', ['inspect', '--secret', SECRET, '--remember', '--idling-timeout', '5', value], /remember/],
    ['missing flag value', ['inspect', value, '--secret'], /--secret/],
    ['no such cookie in the header', ['inspect', '--secret', SECRET, 'other=1; x=2'], /no cookie named "session"/],
    ['bad --cookie-name', ['inspect', '--secret', SECRET, '--cookie-name', 'a b', value], /--cookie-name/],
    ['secret with arguments', ['secret', 'x'], /no arguments/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await run(...argv);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const [first] = r.stderr.split('\n');
      assert.match(first!, /^httpsession: /);
      assert.match(first!, message);
      assert.match(r.stderr, /Usage:/);
    });
  }
});

describe('help and secret', () => {
  for (const argv of [['--help'], ['help'], ['-h'], ['inspect', '--help']]) {
    it(`${argv.join(' ')} prints the usage, exit 0`, async () => {
      const r = await run(...argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage:/);
      assert.match(r.stdout, /--remember-safety/);
      assert.equal(r.stderr, '');
    });
  }

  it('secret prints 43 base64url characters, different each time', async () => {
    const a = await run('secret');
    const b = await run('secret');
    for (const r of [a, b]) {
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^[A-Za-z0-9_-]{43}\n$/);
      assert.equal(r.stderr, '');
    }
    assert.notEqual(a.stdout, b.stdout);
  });
});

describe('end to end', () => {
  it('runs in a child process with the real exit codes', () => {
    const runner = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const exec = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', runner, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
    const v = vector('basic');
    const ok = exec('inspect', '--secret', SECRET, '--now', '1700000000', `Cookie: ${cookieHeader(v.response!.set_cookie!)}`);
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as InspectReport;
    assert.equal(report.valid, true);
    assert.equal(report.header?.sid, v.decoded!.sid_b64url);
    assert.ok(!ok.stdout.includes(SECRET) && !ok.stderr.includes(SECRET));

    const expired = exec('inspect', '--secret', SECRET, '--now', '1700000901', joinedCookie(v.response!.set_cookie!));
    assert.equal(expired.status, 1);
    assert.equal((JSON.parse(expired.stdout) as InspectReport).reason, 'expired');

    const usage = exec('inspect');
    assert.equal(usage.status, 2);
    assert.equal(usage.stdout, '');
    assert.match(usage.stderr, /^httpsession: inspect: missing COOKIE\n/);

    const secret = exec('secret');
    assert.equal(secret.status, 0);
    assert.match(secret.stdout, /^[A-Za-z0-9_-]{43}\n$/);
  });
});
