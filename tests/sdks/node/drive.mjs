// Drives @auth0/auth0-auth-js against `authconform serve`, as an app would, and prints what the
// app sees.
//
// Reads one JSON object on stdin:
//   {"url": "https://127.0.0.1:PORT", "ca": "/path/ca.pem" or null,
//    "vars": {"client_id": ..., ...}, "secrets": {"client_secret": ..., ...}}
// and makes a fixed list of calls with the SDK's public API only (AuthClient and its `database`,
// `passwordless` and `mfa` sub-clients), one call per row of the Standard Error Responses table
// and of the table of errors per endpoint that the SDK can provoke (`row` is the seed row's name
// or the endpoint row's id), plus the calls that must succeed. The SDK authenticates every
// token request, so the user logins (password, passwordless OTP, MFA, the code flow) go
// through the server's confidential regular web app (`web_client_id` under `$app`), as a
// server-side web app's would; the M2M client calls APIs. For each call it prints one JSON
// line:
//   {"sdk": "node", "call": NAME, "row": ROW or null, "outcome": "ok" | "error",
//    "class": ..., "code": ..., "status": ..., "description": ..., "detail": ...}
// where `code` and `description` are the server's `error` and `error_description` as the SDK
// hands them to the app (`err.cause`), `detail` the SDK's own message for the failure
// (`err.cause.message`), "fields" when the error carries more for the app (mfa_required's body,
// a 401's WWW-Authenticate), and for the rate-limited calls "rate_limit": {"headers": {...}}.
// Secrets are never printed: every secret value is masked in every string that goes out. Each
// request is aborted after SDK_TIMEOUT (the SDK's `signal` request option) and a whole call
// after CALL_TIMEOUT, so a call that hangs is reported and the next one goes on.
//
// The SDK speaks https only and reads the tenant's discovery document first. Node trusts an
// extra CA only from NODE_EXTRA_CA_CERTS at start, so when "ca" is given and the variable does
// not name it, the driver runs itself again with it set.
//
// Installed by tests/sdks/setup.sh node (AUTHCONFORM_SDK_DIR names the install dir); run by
// tests/sdks.rs.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const SDK_TIMEOUT = 5000;
const CALL_TIMEOUT = 20000;

const input = readFileSync(0, 'utf8');
const given = JSON.parse(input);

if (given.ca && process.env.NODE_EXTRA_CA_CERTS !== given.ca) {
  const child = spawnSync(process.execPath, [process.argv[1]], {
    input,
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: given.ca },
  });
  process.exit(child.status ?? 1);
}

const dir = process.env.AUTHCONFORM_SDK_DIR;
if (!dir) {
  console.error('drive.mjs: AUTHCONFORM_SDK_DIR is not set (the install dir of tests/sdks/setup.sh node)');
  process.exit(2);
}
// The SDK from the install dir, as the app's own node_modules would give it.
const require = createRequire(join(dir, 'package.json'));
const { AuthClient } = await import(require.resolve('@auth0/auth0-auth-js'));

const url = given.url.replace(/\/+$/, '');
const domain = new URL(url).host;
const v = given.vars;
const s = given.secrets;
const run = randomBytes(4).toString('hex');
const masks = Object.values(s).filter(Boolean).sort((a, b) => b.length - a.length);

const client = (clientId, clientSecret) => new AuthClient({ domain, clientId, clientSecret });
const m2m = client(v.client_id, s.client_secret);
const limited = client(v.limited_client_id, s.limited_client_secret);
const web = client(v.web_client_id, s.web_client_secret);
const request = () => ({ signal: AbortSignal.timeout(SDK_TIMEOUT) });

const audience = v.audience;
const db = v.db_connection;
const user = `nobody-${run}@example.com`;
const password = `not-a-password-${run}`;

// The first n-1 must pass; the answer that counts is the n-th (or the first refusal).
async function burst(n, call) {
  for (let attempt = 1; attempt <= n; attempt++) {
    try {
      await call();
    } catch (e) {
      if (e && typeof e === 'object') e.attempt = attempt;
      throw e;
    }
  }
  return { attempts: n };
}

// A browser's leg of the code flow: follow the authorization URL to the redirect, and hand the
// callback URL (with its code) back to the SDK, with the verifier it made or `verifier`.
async function authorizationCode(verifier) {
  const { authorizationUrl, codeVerifier } = await web.buildAuthorizationUrl({
    authorizationParams: { redirect_uri: v.redirect_uri, scope: 'openid' },
  });
  const answer = await fetch(authorizationUrl, { redirect: 'manual', signal: AbortSignal.timeout(SDK_TIMEOUT) });
  const location = answer.headers.get('location');
  if (!location) {
    throw new Error(`the authorization URL answered ${answer.status} without a redirect`);
  }
  return web.getTokenByCode(new URL(location), { codeVerifier: verifier ?? codeVerifier }, request());
}

// Brute-force protection: `wrong` refused logins in a row (each must be the wrong-password
// answer), then the one that counts.
async function untilBlocked(wrong, call) {
  for (let attempt = 1; attempt <= wrong + 1; attempt++) {
    try {
      await call();
    } catch (e) {
      if (attempt > wrong || e?.cause?.error !== 'invalid_grant') {
        if (e && typeof e === 'object') e.attempt = attempt;
        throw e;
      }
      continue;
    }
    throw new Error(`login ${attempt} passed`);
  }
  return { attempts: wrong + 1 };
}

// A password-realm login by the web app.
const login = (username, pass) => web.getTokenByPassword({ username, password: pass, realm: db }, request());
// An MFA verification by the web app, with the tenant's mfa_token unless another is given.
const verify = (factor, mfaToken = s.mfa_token) => web.mfa.verify({ mfaToken, ...factor }, request());

// The callback URL of a code `/authorize` never issued, as the browser would bring it back.
const callback = (code) => new URL(`${v.redirect_uri}?code=${encodeURIComponent(code)}`);

// Meets the default policy (8 characters, 3 kinds), so only the user or the word is refused.
const strong = `Str0ng-${run}!`;
const spaClient = client(v.public_client_id);
const signUp = (email, pass, connection = db) =>
  spaClient.database.signUp({ email, password: pass, connection }, request());

// [call, row of the table or null, function]. A call named as a catalogue case
// (cases/auth0/**) sends what that case sends, as far as the SDK lets it.
const calls = [
  ['discovery', null, async () => {
    const metadata = await m2m.getServerMetadata();
    return { issuer: metadata.issuer };
  }],
  ['client-credentials', null, async () => {
    const token = await m2m.getTokenByClientCredentials({ audience }, request());
    return { token_type: token.tokenType };
  }],
  ['change-password-unknown-connection', 'invalid_request',
    () => m2m.database.changePassword({ email: user, connection: `No-Such-Connection-${run}` }, request())],
  ['invalid-scope-action', 'invalid_scope',
    () => m2m.getTokenByClientCredentials({ audience: v.invalid_scope_audience }, request())],
  ['wrong-client-secret', 'invalid_client',
    () => client(v.client_id, `wrong-${run}`).getTokenByClientCredentials({ audience }, request())],
  ['unknown-client', 'invalid_client',
    () => client(`unknown-client-${run}`, `unknown-secret-${run}`).getTokenByClientCredentials({ audience }, request())],
  ['revoke-wrong-client-secret', 'invalid_client',
    () => client(v.client_id, `wrong-${run}`).revokeToken({ token: `unknown-refresh-token-${run}` }, request())],
  ['password-realm-not-allowed', 'unauthorized_client',
    () => m2m.getTokenByPassword({ username: user, password, realm: db }, request())],
  ['ungranted-audience', 'access_denied',
    () => m2m.getTokenByClientCredentials({ audience: v.ungranted_audience }, request())],
  ['unknown-audience', 'access_denied',
    () => m2m.getTokenByClientCredentials({ audience: `https://does-not-exist-${run}.authconform.invalid/` }, request())],
  ['refresh-token-unknown-confidential', 'refresh token',
    () => m2m.getTokenByRefreshToken({ refreshToken: `unknown-${run}` }, request())],
  ['rate-limited-client', 'too_many_requests',
    () => burst(4, () => limited.getTokenByClientCredentials({ audience }, request()))],
  ['change-password-burst', 'too_many_requests', () => {
    const email = `ratelimit-${run}@example.com`;
    return burst(11, () => m2m.database.changePassword({ email, connection: db }, request()));
  }],
  ['server-error-action', 'server error',
    () => m2m.getTokenByClientCredentials({ audience: v.server_error_audience }, request())],
  ['temporarily-unavailable', 'temporarily_unavailable',
    () => m2m.getTokenByClientCredentials({ audience: v.unavailable_audience }, request())],
  // The table of errors per endpoint (cases/auth0/endpoint-errors.json). The ids the server
  // makes change from run to run: only the flag is recorded.
  ['signup', null, async () => ({ emailVerified: (await signUp(`new-${run}@example.com`, strong)).emailVerified })],
  ['signup-existing-user', 'signup-invalid-signup', () => signUp(v.existing_user_email, strong)],
  ['signup-user-exists', 'signup-user-exists', () => signUp(v.user_exists_email, strong)],
  ['signup-weak-password', 'signup-password-strength', () => signUp(`new-${run}@example.com`, 'weak')],
  // A password from every dictionary (the server's fixed one).
  ['signup-dictionary-password', 'signup-password-dictionary',
    () => signUp(`new-${run}@example.com`, 'P@ssw0rd', v.dictionary_connection)],
  ['signup-password-with-user-info', 'signup-password-no-user-info',
    () => signUp(`jane-${run}@example.com`, `Jane-${run}-X9!`, v.personal_data_connection)],
  ['passwordless-email', null, () => web.passwordless.sendEmail({ email: `otp-${run}@example.com` }, request())],
  // sendSms always names the connection `sms`, which the tenant lacks.
  ['passwordless-sms-no-connection', 'passwordless-bad-connection',
    () => web.passwordless.sendSms({ phoneNumber: '+15555550100' }, request())],
  // An app whose client id setting is empty (the SDK sends no client_id then).
  ['passwordless-no-client-id', 'passwordless-bad-client-id',
    () => client('', s.web_client_secret).passwordless.sendEmail({ email: `otp-${run}@example.com` }, request())],
  ['passwordless-bad-email', 'passwordless-bad-email',
    () => web.passwordless.sendEmail({ email: `not-an-email-${run}` }, request())],
  // No code is ever sent, so none is right.
  ['passwordless-login-wrong-code', 'passwordless-otp-wrong-code',
    () => web.getTokenByPasswordlessEmail({ email: `otp-${run}@example.com`, code: '000000' }, request())],
  ['userinfo-invalid-token', 'userinfo-unauthorized',
    () => m2m.getUserInfo({ accessToken: `not-a-token-${run}` }, request())],
  ['authorization-code-unknown', 'token-invalid-authorization-code',
    () => web.getTokenByCode(callback(`unknown-code-${run}`), { codeVerifier: `verifier-${run}-0123456789-abcdefghijklmnop` }, request())],
  ['authorization-code-wrong-verifier', 'token-code-verifier',
    () => authorizationCode(`wrong-verifier-${run}-0123456789-abcdefghijklmnop`)],
  ['refresh-token-deleted-user', 'token-refresh-token-user-gone',
    () => web.getTokenByRefreshToken({ refreshToken: s.deleted_user_refresh_token }, request())],
  ['login-missing-username', 'invalid_request', () => login('', password)],
  ['login-wrong-password', 'token-password-realm-wrong-password', () => login(user, password)],
  ['login-mfa-user', 'mfa-required', () => login(v.mfa_username, s.mfa_password)],
  ['mfa-otp-wrong-code', 'mfa-otp-invalid', () => verify({ factorType: 'otp', otp: '000000' })],
  ['mfa-malformed-token', 'mfa-token-malformed',
    () => verify({ factorType: 'otp', otp: '000000' }, `not-an-mfa-token-${run}`)],
  ['mfa-oob-pending', 'mfa-oob-pending', () => verify({ factorType: 'oob', oobCode: s.mfa_oob_code })],
  ['mfa-challenge-oob', 'mfa-challenge-unsupported-type',
    () => web.mfa.challengeAuthenticator({ mfaToken: s.mfa_token, challengeType: v.mfa_unenrolled_challenge_type }, request())],
  ['login-breached-password', 'attack-password-leaked',
    () => login(v.breached_username, s.breached_password)],
  ['login-after-ten-wrong-passwords', 'attack-too-many-attempts',
    () => untilBlocked(10, () => login(v.brute_force_username, password))],
  // The web app has no client_credentials grant.
  ['client-credentials-web-app', 'unauthorized_client',
    () => web.getTokenByClientCredentials({ audience }, request())],
  ['ciba-unknown-user', 'ciba-unknown-user-id',
    () => client(v.ciba_client_id, s.ciba_client_secret).initiateBackchannelAuthentication(
      { bindingMessage: 'Sign in?', loginHint: { sub: `auth0|nobody-${run}` } }, request())],
  ['ciba-without-openid', 'ciba-openid-scope',
    () => client(v.ciba_client_id, s.ciba_client_secret).initiateBackchannelAuthentication(
      { bindingMessage: 'Sign in?', loginHint: { sub: v.ciba_user_id }, authorizationParams: { scope: 'profile' } },
      request())],
  ['par-with-request-uri', 'par-request-uri-pushed',
    () => client(v.par_client_id, s.par_client_secret).buildAuthorizationUrl({
      pushedAuthorizationRequests: true,
      authorizationParams: { redirect_uri: v.redirect_uri, request_uri: `urn:ietf:params:oauth:request_uri:${run}` },
    })],
  // Not rows of a table, but what every app meets: the code flow, a password reset, a
  // revocation.
  ['authorization-code', null, () => authorizationCode()],
  ['change-password', null,
    () => m2m.database.changePassword({ email: `reset-${run}@example.com`, connection: db }, request())],
  ['revoke', null,
    () => m2m.revokeToken({ token: `unknown-refresh-token-${run}` }, request())],
];

function mask(text) {
  if (Array.isArray(text)) return text.map(mask);
  if (text && typeof text === 'object') {
    return Object.fromEntries(Object.entries(text).map(([k, x]) => [k, mask(x)]));
  }
  if (typeof text !== 'string') return text;
  for (const secret of masks) text = text.split(secret).join('***');
  // The origin and this run's id change from run to run; what is recorded must not.
  return text.split(url).join('{url}').split(domain).join('{domain}').split(run).join('{run}');
}

const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'];

function describe(name, row, outcome) {
  const line = { sdk: 'node', call: name, row };
  if (outcome.timeout) {
    return { ...line, outcome: 'error', class: 'Timeout', code: null, status: null,
      description: `no answer within ${CALL_TIMEOUT / 1000} s` };
  }
  if (!('error' in outcome)) {
    const result = outcome.result;
    const ok = { ...line, outcome: 'ok', class: null, code: null, status: null, description: null };
    if (result && typeof result === 'object' && !Array.isArray(result) && Object.keys(result).length
      && Object.values(result).every((x) => typeof x !== 'object')) {
      ok.detail = mask(result);
    }
    return ok;
  }
  const e = outcome.error;
  const out = { ...line, outcome: 'error', class: e?.constructor?.name ?? typeof e };
  const cause = e && typeof e === 'object' && e.cause && typeof e.cause === 'object' ? e.cause : null;
  // The SDK's errors (ApiError, DatabaseError) carry the server's error in `cause`; anything
  // else (a TypeError, a network failure) has only its message.
  if (cause && ('error' in cause || 'error_description' in cause)) {
    out.code = cause.error ?? null;
    out.status = typeof e.statusCode === 'number' ? e.statusCode : null;
    out.description = cause.error_description ?? null;
    out.detail = cause.message ?? e.message ?? null;
  } else {
    out.code = typeof e?.code === 'string' ? e.code : null;
    out.status = typeof e?.statusCode === 'number' ? e.statusCode : null;
    out.description = String(e?.message ?? e).slice(0, 300);
    if (cause?.message) out.detail = String(cause.message).slice(0, 300);
  }
  if (out.status === 429 || out.code === 'too_many_requests') {
    const headers = e.headers instanceof Headers ? e.headers : null;
    const seen = {};
    for (const h of RATE_HEADERS) {
      const value = headers?.get(h);
      if (value !== null && value !== undefined) seen[h] = value;
    }
    out.rate_limit = { headers: seen };
  }
  // What else the app can read off the error: the body's other members (mfa_required), and the
  // Bearer challenge of a 401.
  const fields = {};
  for (const [k, x] of Object.entries(cause ?? {})) {
    if (!['error', 'error_description', 'message'].includes(k) && x !== undefined) fields[k] = x;
  }
  const challenge = e?.headers instanceof Headers ? e.headers.get('www-authenticate') : null;
  if (challenge !== null) fields['www-authenticate'] = challenge;
  if (Object.keys(fields).length) out.fields = mask(fields);
  if (typeof e?.attempt === 'number') out.attempt = e.attempt;
  for (const key of ['class', 'code', 'description', 'detail']) out[key] = mask(out[key]);
  return out;
}

for (const [name, row, fn] of calls) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timeout: true }), CALL_TIMEOUT);
  });
  const outcome = await Promise.race([
    (async () => fn())().then((result) => ({ result }), (error) => ({ error })),
    timeout,
  ]);
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify(describe(name, row, outcome))}\n`);
}
// A call that timed out may leave a request behind: do not wait for it.
process.exit(0);
