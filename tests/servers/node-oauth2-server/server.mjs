// @node-oauth/oauth2-server behind its own express adapter (@node-oauth/express-oauth-server),
// both pinned in package.json, on 127.0.0.1: an express app as the library's README builds one,
// with an in-memory model holding the clients a tenant would have.
//
//   node server.mjs            (cwd anywhere; PORT optional, default 0 = any free port)
//
// Installed by tests/servers/setup.sh node-oauth2-server; the packages are looked up in
// $AUTHCONFORM_SERVER_DIR, else ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/servers/node-oauth2-server.
// When ready, prints ONE line of JSON on stdout: {"url", "discover": false, "vars", "secrets"}.
// Everything else goes to stderr. Exits when stdin reaches EOF, or on SIGTERM/SIGINT.
//
// What the library has not, the vars leave out: it has no discovery document (so the tests give
// every endpoint), no revocation endpoint (RFC 7009: no `revocation_endpoint`, so no
// `unrevocable_token`), no device flow (RFC 8628: no device client or codes) and no implicit
// grant (its `token` response type throws "Not implemented": no `implicit_client_id`).
// The model is the documented model interface; every answer is the library's and the
// adapter's own.

import path from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

for (const method of ['log', 'info', 'debug', 'trace']) {
  console[method] = console.error;
}

function fail(message) {
  console.error(`node-oauth2-server/server.mjs: ${message}`);
  process.exit(1);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const installDir = process.env.AUTHCONFORM_SERVER_DIR
  || path.join(process.env.AUTHCONFORM_TEST_TOOLS || path.join(repo, 'target', 'test-tools'), 'servers', 'node-oauth2-server');

let express;
let ExpressOAuthServer;
try {
  const require = createRequire(path.join(installDir, 'package.json'));
  express = require('express');
  ExpressOAuthServer = require('@node-oauth/express-oauth-server');
} catch (err) {
  fail(`cannot load express and @node-oauth/express-oauth-server from ${installDir} (run tests/servers/setup.sh node-oauth2-server): ${err.message}`);
}

const REDIRECT_URI = 'https://app.authconform.test/callback';
const SCOPES = ['openid', 'profile', 'read', 'write'];
// The scope the protected resource (/userinfo) requires.
const USERINFO_SCOPE = 'openid';
const USER = { id: 'authconform-user', name: 'Authconform User' };

const secret = () => randomBytes(32).toString('base64url');
const clients = [
  {
    // Confidential web app: authorization_code + refresh_token.
    id: 'authconform-client',
    secret: secret(),
    grants: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    scope: ['openid', 'profile'],
  },
  {
    // Machine to machine: client_credentials only, with a registered redirect URI so that
    // /authorize could answer it with a redirect.
    id: 'authconform-restricted',
    secret: secret(),
    grants: ['client_credentials'],
    redirectUris: [REDIRECT_URI],
    scope: ['read'],
  },
  {
    // Another confidential web app, not allowed client_credentials.
    id: 'authconform-no-cc',
    secret: secret(),
    grants: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    scope: ['openid', 'profile'],
  },
];
const byId = (id) => clients.find((c) => c.id === id);

// The model: https://node-oauthoauth2-server.readthedocs.io/en/master/model/spec.html, in memory.
const codes = new Map();
const accessTokens = new Map();
const refreshTokens = new Map();
const model = {
  async getClient(clientId, clientSecret) {
    const client = byId(clientId);
    if (!client) return false;
    // null: the authorization endpoint asks without a secret.
    if (clientSecret !== null && clientSecret !== client.secret) return false;
    return { id: client.id, grants: client.grants, redirectUris: client.redirectUris };
  },
  async saveToken(token, client, user) {
    const saved = { ...token, client: { id: client.id }, user };
    accessTokens.set(token.accessToken, saved);
    if (token.refreshToken) refreshTokens.set(token.refreshToken, saved);
    return saved;
  },
  async getAccessToken(accessToken) {
    return accessTokens.get(accessToken) ?? false;
  },
  async getRefreshToken(refreshToken) {
    return refreshTokens.get(refreshToken) ?? false;
  },
  async revokeToken(token) {
    return refreshTokens.delete(token.refreshToken);
  },
  async saveAuthorizationCode(code, client, user) {
    const saved = { ...code, client: { id: client.id }, user };
    codes.set(code.authorizationCode, saved);
    return saved;
  },
  async getAuthorizationCode(code) {
    return codes.get(code) ?? false;
  },
  async revokeAuthorizationCode(code) {
    return codes.delete(code.authorizationCode);
  },
  // client_credentials: the client acts for itself.
  async getUserFromClient(client) {
    return { id: client.id };
  },
  // A scope the server does not know, or one the client was not given, is refused; none asked
  // for gets the client's own.
  async validateScope(user, client, scope) {
    const allowed = byId(client.id).scope;
    if (!scope || scope.length === 0) return allowed;
    return scope.every((s) => SCOPES.includes(s) && allowed.includes(s)) ? scope : false;
  },
  async verifyScope(token, required) {
    return required.every((s) => (token.scope ?? []).includes(s));
  },
};

const oauth = new ExpressOAuthServer({ model, allowEmptyState: true });
const app = express();
app.use(express.urlencoded({ extended: false }));
app.post('/token', oauth.token());
// The resource owner is always signed in and has consented (a first-party app): the library
// judges the request and issues the code.
app.get('/authorize', oauth.authorize({ authenticateHandler: { handle: () => USER } }));
app.all('/userinfo', oauth.authenticate({ scope: [USERINFO_SCOPE] }), (req, res) => {
  const { user } = res.locals.oauth.token;
  res.json(user.id === USER.id ? { sub: USER.id, name: USER.name } : { sub: user.id });
});

const server = await new Promise((resolve, reject) => {
  const listening = app.listen(Number.parseInt(process.env.PORT || '0', 10), '127.0.0.1', (err) => (err ? reject(err) : resolve(listening)));
}).catch((err) => fail(`cannot listen on 127.0.0.1: ${err.message}`));
const origin = `http://127.0.0.1:${server.address().port}`;

// A token without `openid`, which /userinfo requires: client_credentials for scope read, from
// the server's own token endpoint.
const restricted = byId('authconform-restricted');
const answer = await fetch(new URL('/token', origin), {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${restricted.id}:${restricted.secret}`).toString('base64')}`,
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
});
const text = await answer.text();
if (!answer.ok) fail(`minting the insufficient-scope token: ${answer.status} ${text}`);

const ready = {
  url: origin,
  discover: false,
  vars: {
    token_endpoint: `${origin}/token`,
    authorization_endpoint: `${origin}/authorize`,
    userinfo_endpoint: `${origin}/userinfo`,
    client_id: 'authconform-client',
    redirect_uri: REDIRECT_URI,
    restricted_client_id: restricted.id,
    cc_refused_client_id: 'authconform-no-cc',
  },
  secrets: {
    client_secret: byId('authconform-client').secret,
    restricted_client_secret: restricted.secret,
    cc_refused_client_secret: byId('authconform-no-cc').secret,
    insufficient_scope_token: JSON.parse(text).access_token,
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
