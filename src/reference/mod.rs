//! The reference server: an in-process HTTP server (axum) that answers as the Auth0
//! Authentication API's Standard Error Responses table documents, with fixed clients and the
//! catalogue's variables. It is the default target of `run`, the fixture of the project's own
//! tests, and (`serve`) a tool for people building an Auth0-compatible server and a test double
//! for apps built on Auth0's SDKs (https, discovery, signed tokens, rate limits, the answers
//! tenants are seen to give). Told to break one documented behaviour ([`Fault`]), it breaks
//! that one, so that tests can prove the cases notice.

mod backchannel;
mod cross_origin;
mod device;
mod dpop;
mod endpoints;
mod entries;
mod fault;
mod keys;
mod limits;
mod logins;
mod logout;
mod mfa;
mod passwordless;
mod rfc;
mod serving;
mod signup;
mod tls;

use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
};

use tokio::{net::TcpListener, sync::oneshot};

use crate::base::source::Profile;

pub use endpoints::Row;
pub use fault::{Aim, Fault};
pub use serving::{Bounds, MAX_BODY};

/// The confidential machine-to-machine client.
pub const CLIENT_ID: &str = "authconform-m2m";
/// Its secret. Public on purpose: this server exists for tests.
pub const CLIENT_SECRET: &str = "authconform-m2m-secret-6c1e0d2b";
/// A confidential client that exists to be rate-limited: its fourth token request within
/// ten seconds gets 429 with the rate-limit headers, so that an app can see one. Not a
/// catalogue variable; `serve --write-vars` lists it for apps.
pub const LIMITED_CLIENT_ID: &str = "authconform-limited";
/// Its secret. Public on purpose, like [`CLIENT_SECRET`].
pub const LIMITED_CLIENT_SECRET: &str = "authconform-limited-secret-93a4f1c7";
/// The public (SPA) client: no secret, no client_credentials grant.
pub const PUBLIC_CLIENT_ID: &str = "authconform-spa";
/// A confidential Regular Web Application: the grants a web app that signs users in has on a
/// tenant (the code flow with or without PKCE, refresh tokens, the password grants,
/// passwordless OTP, MFA), answered as the public client's are, but not client_credentials:
/// calling APIs as itself is the M2M client's job, and a confidential SDK (auth-js refuses to
/// send without a secret) needs a client whose user logins it can reach. Not a catalogue
/// variable (the cases keep their premises); `serve --write-vars` lists it for apps.
pub const WEB_CLIENT_ID: &str = "authconform-regular-web";
/// Its secret. Public on purpose, like [`CLIENT_SECRET`].
pub const WEB_CLIENT_SECRET: &str = "authconform-regular-web-secret-2e8b51f0";
/// The API that the M2M client has a grant for.
pub const AUDIENCE: &str = "https://api.authconform.test/";
/// An API the M2M client has no grant for.
pub const UNGRANTED_AUDIENCE: &str = "https://ungranted.authconform.test/";
/// The public client's allowed callback.
pub const REDIRECT_URI: &str = "https://app.authconform.test/callback";
/// The database connection enabled for the public client.
pub const DB_CONNECTION: &str = "Username-Password-Authentication";
/// A legacy endpoint this server has disabled.
pub const DISABLED_ENDPOINT: &str = "/tokeninfo";
/// APIs whose (simulated) credentials-exchange Action denies with invalid_scope, with
/// server_error, and for which the service is unavailable.
pub const INVALID_SCOPE_AUDIENCE: &str = "https://invalid-scope.authconform.test/";
pub const SERVER_ERROR_AUDIENCE: &str = "https://server-error.authconform.test/";
pub const UNAVAILABLE_AUDIENCE: &str = "https://unavailable.authconform.test/";
/// A user of [`DB_CONNECTION`] who must pass MFA (OTP enrolled): the right password gets 403
/// mfa_required with [`MFA_TOKEN`].
pub const MFA_USERNAME: &str = "mfa-user@authconform.test";
/// Its password. Public on purpose, like [`CLIENT_SECRET`].
pub const MFA_PASSWORD: &str = "authconform-mfa-password-5b7d0e";
/// The mfa_token the server issues to [`MFA_USERNAME`]; it never expires here.
pub const MFA_TOKEN: &str = "Fe26.2**authconform-mfa-token**7f3a9c";
/// The one-time password the MFA user's authenticator shows, always (not a catalogue variable:
/// the cases send a wrong one; docs/reference-server.md lists it for apps).
pub const MFA_OTP: &str = "246810";
/// The oob_code of an SMS challenge sent to the MFA user that nobody ever answers.
pub const MFA_OOB_CODE: &str = "authconform-oob-code-pending";
/// A challenge type the MFA user has no authenticator for (it has only OTP).
pub const MFA_UNENROLLED_CHALLENGE_TYPE: &str = "oob";
/// A user whose password is known to be breached: the right password gets 401
/// password_leaked.
pub const BREACHED_USERNAME: &str = "breached-user@authconform.test";
/// Its (breached) password.
pub const BREACHED_PASSWORD: &str = "P@ssw0rd123";
/// A user that brute-force protection blocks after [`logins::BRUTE_FORCE_THRESHOLD`] wrong
/// passwords in a row; no password is right for it.
pub const BRUTE_FORCE_USERNAME: &str = "brute-force-user@authconform.test";
/// A refresh token issued to the app ([`PUBLIC_CLIENT_ID`], or [`WEB_CLIENT_ID`] when that
/// client sends it) for a user who has since been deleted.
pub const DELETED_USER_REFRESH_TOKEN: &str = "authconform-refresh-token-of-a-deleted-user";
/// An authorization code issued to the app (like [`DELETED_USER_REFRESH_TOKEN`], to whichever
/// of the two clients that sign users in exchanges it) for [`REDIRECT_URI`] with a PKCE S256
/// challenge of [`PKCE_VERIFIER`]; unlike the codes of /authorize it can be exchanged any
/// number of times, so that a case can send it with a wrong verifier on every run.
pub const PKCE_CODE: &str = "authconform-pkce-code";
/// The verifier of [`PKCE_CODE`]'s challenge (not a catalogue variable; for apps).
pub const PKCE_VERIFIER: &str = "authconform-pkce-verifier-0123456789-abcdefghijklmnop";

/// A user that exists in [`DB_CONNECTION`]: signing up again is refused as `invalid_signup`,
/// as a tenant that hides whether a user exists answers.
pub const EXISTING_USER_EMAIL: &str = "existing@authconform.test";
/// Another existing user, for which the server answers `user_exists`, as a tenant with
/// `enable_public_signup_user_exists_error` does.
pub const USER_EXISTS_EMAIL: &str = "exposed@authconform.test";
/// A password that meets the default policy but is in the Password Dictionary.
pub const DICTIONARY_PASSWORD: &str = "P@ssw0rd";

/// The issuer a CIBA login_hint may name besides the server's own origin: the server answers
/// on any name, so a vars file written before it started can still name it.
pub const ISSUER: &str = "https://authconform.test/";
/// The user a backchannel (CIBA) request may name: `auth0|` and the id, as Auth0 writes a
/// database user's id.
pub const CIBA_USER_ID: &str = "auth0|authconform-ciba-user";
/// The passwordless email connection, enabled for both clients.
pub const PASSWORDLESS_CONNECTION: &str = "email";
/// The public client's web origin: its Allowed Origins (CORS) and, under it, its Allowed
/// Logout URLs. The public client has Cross-Origin Authentication on.
pub const CORS_ORIGIN: &str = "https://app.authconform.test";
/// A client with Cross-Origin Authentication off whose Allowed Origins list [`CORS_ORIGIN`]:
/// the M2M client.
pub const NO_CROSS_ORIGIN_CLIENT_ID: &str = CLIENT_ID;
/// A blocked user of [`DB_CONNECTION`], and its password: the one login whose password is
/// right, refused because the user is blocked.
pub const BLOCKED_USERNAME: &str = "blocked@authconform.test";
pub const BLOCKED_PASSWORD: &str = "authconform-blocked-password-5d27e8a0";

/// Which answers the server gives where the documentation and real tenants differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Answers {
    /// What the profile's seed table documents.
    #[default]
    Documented,
    /// What real Auth0 tenants are seen to send, as the built-in known-deviations set
    /// `auth0-observed` records it (auth0 profile only).
    Observed,
}

/// How the server behaves.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Which seed table it answers: Auth0's, or the OAuth 2.0 RFCs'.
    pub profile: Profile,
    /// Break one documented behaviour.
    pub fault: Option<Fault>,
    /// Wait this long before answering each request (a far-away server).
    pub latency: std::time::Duration,
    /// Serve the token, revocation and authorization endpoints at other paths than Auth0's
    /// (`/o/token/`, `/o/revoke/`, `/o/authorize/`), as a server that is not Auth0 may; the
    /// discovery document says where they are.
    pub other_paths: bool,
    /// Serve https with a throwaway CA (see [`Running::ca_pem`]), for apps whose SDK only
    /// speaks https.
    pub tls: bool,
    /// Documented answers, or those real tenants are seen to give.
    pub answers: Answers,
    /// What one client may hold: connections, and how long a request may take to arrive.
    pub bounds: Bounds,
}

/// Where the server serves the endpoints that a discovery document names: (token,
/// revocation, authorization).
pub fn endpoint_paths(other_paths: bool) -> (&'static str, &'static str, &'static str) {
    if other_paths {
        ("/o/token/", "/o/revoke/", "/o/authorize/")
    } else {
        ("/oauth/token", "/oauth/revoke", "/authorize")
    }
}

/// What the server has seen, for benchmarks and tests.
#[derive(Debug, Default)]
pub struct Traffic {
    requests: std::sync::atomic::AtomicU64,
    first: std::sync::OnceLock<std::time::Instant>,
    /// Nanoseconds spent in the latency delay, as the clock measured them.
    delayed_nanos: std::sync::atomic::AtomicU64,
}

impl Traffic {
    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// When the first request arrived.
    pub fn first_request(&self) -> Option<std::time::Instant> {
        self.first.get().copied()
    }

    /// The latency the server really added per request, on average: a timer sleeps a little
    /// longer than asked, and that is the server's time, not the client's.
    pub fn mean_latency(&self) -> std::time::Duration {
        let n = self.requests().max(1);
        std::time::Duration::from_nanos(
            self.delayed_nanos.load(std::sync::atomic::Ordering::SeqCst) / n,
        )
    }

    fn count(&self) {
        self.first.get_or_init(std::time::Instant::now);
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A running server; it stops when dropped.
pub struct Running {
    addr: SocketAddr,
    profile: Profile,
    stop: Option<oneshot::Sender<()>>,
    traffic: Arc<Traffic>,
    /// The CA that signed the server's certificate, when it serves https.
    ca_pem: Option<String>,
}

/// Starts the server on 127.0.0.1 at an unused port.
pub async fn spawn(config: Config) -> std::io::Result<Running> {
    bind(config, 0).await
}

/// Starts the server on 127.0.0.1:`port` (0 for any free port).
pub async fn bind(config: Config, port: u16) -> std::io::Result<Running> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = listener.local_addr()?;
    let tls = if config.tls {
        Some(tls::make().map_err(|e| std::io::Error::other(format!("making {e}")))?)
    } else {
        None
    };
    let traffic = Arc::new(Traffic::default());
    let latency = config.latency;
    let profile = config.profile;
    let bounds = config.bounds;
    let seen = traffic.clone();
    let app = match profile {
        Profile::Auth0 => endpoints::router(Arc::new(endpoints::State::new(config))),
        Profile::Rfc => rfc::router(Arc::new(rfc::State::new(config))),
    };
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            serving::bounded_body(bounds.read_timeout, request, next)
        },
    ));
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            seen.count();
            let seen = seen.clone();
            async move {
                if !latency.is_zero() {
                    let slept = std::time::Instant::now();
                    tokio::time::sleep(latency).await;
                    let nanos = u64::try_from(slept.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    seen.delayed_nanos
                        .fetch_add(nanos, std::sync::atomic::Ordering::SeqCst);
                }
                next.run(request).await
            }
        },
    ));
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async {
        let _ = stopped.await;
    };
    tokio::spawn(serving::accept(
        listener,
        tls.as_ref().map(tls::Tls::acceptor),
        app,
        bounds,
        stopped,
    ));
    Ok(Running {
        addr,
        profile,
        stop: Some(stop),
        traffic,
        ca_pem: tls.map(|t| t.ca_pem),
    })
}

impl Running {
    /// What the server has seen so far.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// The base URL to give `--target`.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The CA certificate (PEM) that an https server's certificate chains to.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The catalogue's variables as this server defines them: (name, value, secret).
    pub fn variables(&self) -> Vec<(&'static str, String, bool)> {
        variables_of(self.profile)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A profile's variables as the reference server defines them: (name, value, secret).
pub fn variables_of(profile: Profile) -> Vec<(&'static str, String, bool)> {
    match profile {
        Profile::Auth0 => variables(),
        Profile::Rfc => rfc::variables(),
    }
}

/// The auth0 catalogue's variables as the reference server defines them: (name, value, secret).
pub fn variables() -> Vec<(&'static str, String, bool)> {
    vec![
        ("client_id", CLIENT_ID.into(), false),
        ("client_secret", CLIENT_SECRET.into(), true),
        ("web_client_id", WEB_CLIENT_ID.into(), false),
        ("web_client_secret", WEB_CLIENT_SECRET.into(), true),
        ("audience", AUDIENCE.into(), false),
        ("ungranted_audience", UNGRANTED_AUDIENCE.into(), false),
        ("public_client_id", PUBLIC_CLIENT_ID.into(), false),
        ("redirect_uri", REDIRECT_URI.into(), false),
        ("db_connection", DB_CONNECTION.into(), false),
        ("disabled_endpoint", DISABLED_ENDPOINT.into(), false),
        (
            "invalid_scope_audience",
            INVALID_SCOPE_AUDIENCE.into(),
            false,
        ),
        ("server_error_audience", SERVER_ERROR_AUDIENCE.into(), false),
        ("unavailable_audience", UNAVAILABLE_AUDIENCE.into(), false),
        ("existing_user_email", EXISTING_USER_EMAIL.into(), false),
        ("user_exists_email", USER_EXISTS_EMAIL.into(), false),
        ("dictionary_connection", DB_CONNECTION.into(), false),
        ("personal_data_connection", DB_CONNECTION.into(), false),
        ("device_client_id", rfc::DEVICE_CLIENT_ID.into(), false),
        ("pending_device_code", rfc::PENDING_DEVICE_CODE.into(), true),
        (
            "slow_down_device_code",
            rfc::SLOW_DOWN_DEVICE_CODE.into(),
            true,
        ),
        ("expired_device_code", rfc::EXPIRED_DEVICE_CODE.into(), true),
        (
            "twice_expired_device_code",
            device::TWICE_EXPIRED_DEVICE_CODE.into(),
            true,
        ),
        ("denied_device_code", rfc::DENIED_DEVICE_CODE.into(), true),
        ("ciba_client_id", CLIENT_ID.into(), false),
        ("ciba_client_secret", CLIENT_SECRET.into(), true),
        ("ciba_user_id", CIBA_USER_ID.into(), false),
        ("issuer", ISSUER.into(), false),
        ("par_client_id", CLIENT_ID.into(), false),
        ("par_client_secret", CLIENT_SECRET.into(), true),
        ("dpop_client_id", CLIENT_ID.into(), false),
        ("dpop_client_secret", CLIENT_SECRET.into(), true),
        ("mfa_username", MFA_USERNAME.into(), false),
        ("mfa_password", MFA_PASSWORD.into(), true),
        ("mfa_token", MFA_TOKEN.into(), true),
        ("mfa_oob_code", MFA_OOB_CODE.into(), true),
        (
            "mfa_unenrolled_challenge_type",
            MFA_UNENROLLED_CHALLENGE_TYPE.into(),
            false,
        ),
        ("breached_username", BREACHED_USERNAME.into(), false),
        ("breached_password", BREACHED_PASSWORD.into(), true),
        ("brute_force_username", BRUTE_FORCE_USERNAME.into(), false),
        (
            "deleted_user_refresh_token",
            DELETED_USER_REFRESH_TOKEN.into(),
            true,
        ),
        ("pkce_code", PKCE_CODE.into(), true),
        (
            "passwordless_connection",
            PASSWORDLESS_CONNECTION.into(),
            false,
        ),
        ("cors_origin", CORS_ORIGIN.into(), false),
        (
            "no_cross_origin_client_id",
            NO_CROSS_ORIGIN_CLIENT_ID.into(),
            false,
        ),
        ("blocked_username", BLOCKED_USERNAME.into(), false),
        ("blocked_password", BLOCKED_PASSWORD.into(), true),
    ]
}
