// node-oidc-provider (npm `oidc-provider`, pinned in package.json) on 127.0.0.1, configured with
// the clients and tokens that authconform's "rfc" profile provokes errors with.
//
//   node server.mjs            (cwd anywhere; PORT optional, default 0 = any free port)
//
// Installed by tests/servers/setup.sh oidc-provider; the package is looked up in
// $AUTHCONFORM_SERVER_DIR, else ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/servers/oidc-provider.
// When ready, prints ONE line of JSON on stdout: {"url": ..., "vars": {...}, "secrets": {...}}.
// Everything else goes to stderr. Exits when stdin reaches EOF, or on SIGTERM/SIGINT.
//
// oidc-provider 9 asks for Node 22+ and warns "Unsupported runtime" on Node 20, but 9.13.3 runs
// (and answers every provocation of the rfc profile) on Node 20.20.
//
// Everything below is configuration through the library's documented options and its
// programmatic model API (provider.Client / Grant / AccessToken / DeviceCode); no error response
// is patched. The point is to record what the real server answers.

import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

// stdout carries the one JSON line only. oidc-provider prints its development notices with
// console.info (stdout), so every console method goes to stderr.
for (const method of ['log', 'info', 'debug', 'trace']) {
  console[method] = console.error;
}

function fail(message) {
  console.error(`oidc-provider/server.mjs: ${message}`);
  process.exit(1);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const installDir = process.env.AUTHCONFORM_SERVER_DIR
  || path.join(process.env.AUTHCONFORM_TEST_TOOLS || path.join(repo, 'target', 'test-tools'), 'servers', 'oidc-provider');

let Provider;
let errors;
try {
  const entry = createRequire(path.join(installDir, 'package.json')).resolve('oidc-provider');
  ({ Provider, errors } = await import(pathToFileURL(entry).href));
} catch (err) {
  fail(`cannot load oidc-provider from ${installDir} (run tests/servers/setup.sh oidc-provider): ${err.message}`);
}

const REDIRECT_URI = 'https://app.authconform.test/callback';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// The one resource server. Its access tokens are JWTs ("structured tokens"), which oidc-provider
// refuses to revoke with unsupported_token_type.
const API = 'https://api.authconform.test';
const USER = 'authconform-user';

const secret = () => randomBytes(32).toString('base64url');
const clientSecret = secret();
const restrictedClientSecret = secret();
const ccRefusedClientSecret = secret();
const parClientSecret = secret();
const cibaClientSecret = secret();
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number.parseInt(process.env.PORT || '0', 10), '127.0.0.1', resolve);
}).catch((err) => fail(`cannot listen on 127.0.0.1: ${err.message}`));
const origin = `http://127.0.0.1:${server.address().port}`;

// Storage: the documented adapter interface, over one Map. Unlike the built-in development
// MemoryAdapter (an LRU that drops a record clockTolerance seconds after it expires), it keeps
// expired records the way a database table does until something cleans it, so that an expired
// device code is still found and oidc-provider's own `expired_token` answer can be seen.
const store = new Map();
class RetainingAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      const members = store.get(`grant:${payload.grantId}`) ?? new Set();
      members.add(this.key(id));
      store.set(`grant:${payload.grantId}`, members);
    }
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, id);
    if (payload.uid) store.set(`uid:${payload.uid}`, id);
  }

  async find(id) {
    return store.get(this.key(id));
  }

  async findByUserCode(userCode) {
    return this.find(store.get(`userCode:${userCode}`));
  }

  async findByUid(uid) {
    return this.find(store.get(`uid:${uid}`));
  }

  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of store.get(`grant:${grantId}`) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(origin, {
  adapter: RetainingAdapter,
  clients: [
    {
      // Confidential, client_secret_basic, authorization_code + refresh_token only.
      client_id: 'authconform-client',
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid profile email offline_access',
    },
    {
      // Another confidential web app (HTTP Basic) that is not allowed client_credentials: the
      // premise of token/client-credentials-not-allowed.
      client_id: 'authconform-no-cc',
      client_secret: ccRefusedClientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid profile email offline_access',
    },
    {
      // Confidential, client_credentials only. It has no response types, but a registered
      // redirect URI, so /authorize can answer it with a redirect carrying unauthorized_client.
      client_id: 'authconform-restricted',
      client_secret: restrictedClientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [REDIRECT_URI],
      scope: 'read',
    },
    // No implicit client: oidc-provider is an OpenID Provider and refuses to be configured with
    // the plain OAuth response type `token` ("unsupported response type: token") that the
    // implicit-grant case sends, so `implicit_client_id` is left unset and that case skipped.
    {
      // Public web app (a SPA in Auth0's terms): authorization_code (with PKCE, which
      // oidc-provider requires of public clients) and refresh_token, no secret.
      client_id: 'authconform-public',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid profile email offline_access',
    },
    {
      // Confidential, pushes its authorization requests (RFC 9126) with its secret in the form,
      // as the auth0 profile's PAR case sends it.
      client_id: 'authconform-par',
      client_secret: parClientSecret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid profile',
    },
    {
      // Confidential, Client-Initiated Backchannel Authentication in poll mode, its secret in
      // the form, as the auth0 profile's CIBA cases send it.
      client_id: 'authconform-ciba',
      client_secret: cibaClientSecret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [CIBA_GRANT],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      scope: 'openid profile',
    },
    {
      // Public device client (RFC 8628).
      client_id: 'authconform-device',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_CODE_GRANT],
      response_types: [],
      redirect_uris: [],
      scope: 'openid profile',
    },
  ],
  scopes: ['openid', 'offline_access', 'profile', 'email', 'read'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  findAccount: (ctx, sub) => (sub === USER
    ? { accountId: sub, claims: () => ({ sub, name: 'Authconform User', email: 'user@authconform.test', email_verified: true }) }
    : undefined),
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'authconform', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [secret()] },
  responseTypes: ['code', 'id_token token', 'none'],
  features: {
    clientCredentials: { enabled: true },
    // CIBA in poll mode. The hooks are the application's (oidc-provider leaves them to it): the
    // login_hint is read in the `iss_sub` format the auth0 profile sends (a JSON object naming
    // the issuer and the subject), a binding message is any text of 1 to 64 characters, and the
    // authentication device is never reached (the cases are refused before it would be).
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: (ctx, loginHint) => {
        let hint;
        try {
          hint = JSON.parse(loginHint);
        } catch {
          return undefined;
        }
        return hint?.format === 'iss_sub' && hint.iss === origin ? hint.sub : undefined;
      },
      validateBindingMessage: (ctx, message) => {
        if (message !== undefined && !/^.{1,64}$/u.test(message)) {
          throw new errors.InvalidBindingMessage('binding_message must be 1 to 64 characters');
        }
      },
      validateRequestContext: () => {},
      verifyUserCode: () => {},
      triggerAuthenticationDevice: () => {},
    },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Only a request that names the API gets a resource server (and so a JWT access token);
      // everything else gets oidc-provider's usual opaque tokens.
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator === API) {
          return { scope: 'read', audience: API, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        }
        throw new errors.InvalidTarget();
      },
    },
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    // Device codes stay valid for an hour: the tests poll them long after start-up.
    DeviceCode: 3600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 86400,
    Session: 86400,
  },
});

provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));
server.on('request', provider.callback());

async function post(pathname, form, headers = {}) {
  const response = await fetch(new URL(pathname, origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${pathname}: ${response.status} ${text}`);
  return text;
}

const discovery = await (await fetch(new URL('/.well-known/openid-configuration', origin))).json();

// Device codes, from the server's own device authorization endpoint. The device authorization
// response carries no `interval` (RFC 8628's default of 5 s applies) and oidc-provider never
// answers slow_down: its device_code grant has no polling-rate check at all (errors.SlowDown is
// defined but nothing throws it). So there is no `slow_down_device_code`.
async function deviceAuthorization() {
  return JSON.parse(await post(discovery.device_authorization_endpoint, { client_id: 'authconform-device', scope: 'openid' }));
}
const pending = await deviceAuthorization();
const expired = await deviceAuthorization();
const denied = await deviceAuthorization();
const twiceExpired = await deviceAuthorization();

// Denied: the end user presses "Abort" on the server's own user-code page, exactly as a browser
// would: GET the page for its session cookie and xsrf token, then POST the form with abort=yes.
{
  const page = await fetch(new URL('/device', origin));
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!xsrf) fail('the /device page has no xsrf field');
  const response = await fetch(new URL('/device', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ xsrf, user_code: denied.user_code, abort: 'yes' }),
  });
  await response.text();
  const code = await provider.DeviceCode.find(denied.device_code);
  if (code?.error !== 'access_denied') fail(`aborting ${denied.user_code} on /device did not deny it (${response.status})`);
}

// Expired: no HTTP request can age a code, so the model API moves its expiry into the past
// (what the clock does to any code after ttl.DeviceCode).
for (const { device_code: deviceCode } of [expired, twiceExpired]) {
  const code = await provider.DeviceCode.find(deviceCode);
  code.exp = Math.floor(Date.now() / 1000) - 60;
  await code.save();
}

// An access token without `openid`, which /me accepts as a token but refuses with 403
// insufficient_scope. No grant flow issues one without a user logging in, so the documented
// model API mints it, with a grant behind it as a real one would have.
let insufficientScopeToken;
{
  const client = await provider.Client.find('authconform-client');
  const grant = new provider.Grant({ accountId: USER, clientId: client.clientId });
  grant.addOIDCScope('profile');
  const grantId = await grant.save();
  insufficientScopeToken = await new provider.AccessToken({
    accountId: USER, client, grantId, gty: 'authorization_code', scope: 'profile',
  }).save();
}

// A JWT access token for the API, from the server's own token endpoint (client_credentials with
// a resource indicator). oidc-provider cannot revoke structured tokens and says
// unsupported_token_type.
const unrevocableToken = JSON.parse(await post(
  discovery.token_endpoint,
  { grant_type: 'client_credentials', resource: API, scope: 'read' },
  { authorization: `Basic ${Buffer.from(`authconform-restricted:${restrictedClientSecret}`).toString('base64')}` },
)).access_token;

const ready = {
  url: origin,
  vars: {
    token_endpoint: discovery.token_endpoint,
    authorization_endpoint: discovery.authorization_endpoint,
    revocation_endpoint: discovery.revocation_endpoint,
    userinfo_endpoint: discovery.userinfo_endpoint,
    client_id: 'authconform-client',
    redirect_uri: REDIRECT_URI,
    restricted_client_id: 'authconform-restricted',
    device_client_id: 'authconform-device',
    cc_refused_client_id: 'authconform-no-cc',
    // For the auth0 profile: its SPA, PAR and CIBA clients and the user CIBA names.
    public_client_id: 'authconform-public',
    par_client_id: 'authconform-par',
    ciba_client_id: 'authconform-ciba',
    ciba_user_id: USER,
  },
  secrets: {
    client_secret: clientSecret,
    restricted_client_secret: restrictedClientSecret,
    cc_refused_client_secret: ccRefusedClientSecret,
    pending_device_code: pending.device_code,
    expired_device_code: expired.device_code,
    denied_device_code: denied.device_code,
    insufficient_scope_token: insufficientScopeToken,
    unrevocable_token: unrevocableToken,
    twice_expired_device_code: twiceExpired.device_code,
    par_client_secret: parClientSecret,
    ciba_client_secret: cibaClientSecret,
  },
};
process.stdout.write(`${JSON.stringify(ready)}\n`);

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.stdin.on('data', () => {});
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
