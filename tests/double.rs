//! The reference server as a test double for apps built on Auth0's SDKs: https with a CA to
//! trust, discovery and a key set that verifies its tokens, requests read as tenants read them
//! (`null` members absent), rate limits where tenants have them, and answers as tenants are
//! seen to give them (`--answers observed`).

use authconform::reference::{
    self, AUDIENCE, Answers, CLIENT_ID, CLIENT_SECRET, Config, LIMITED_CLIENT_ID,
    LIMITED_CLIENT_SECRET, PUBLIC_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::{Value, json};

use crate::util::*;

/// A response: status, headers, body.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

/// Sends `method url` with a JSON body (when given), as an SDK would.
fn send(method: &str, url: &str, body: Option<&Value>) -> Reply {
    send_as(method, url, body, None)
}

/// [`send`], with a bearer token when given.
fn send_as(method: &str, url: &str, body: Option<&Value>, bearer: Option<&str>) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    })
}

fn token(server: &Server, body: &Value) -> Reply {
    send("POST", &format!("{}/oauth/token", server.url), Some(body))
}

/// The Location of `/authorize` for `client_id` and the registered redirect URI, with `query`
/// appended (`&name=value...`), which must be a redirect.
fn authorize(server: &Server, client_id: &str, query: &str) -> url::Url {
    let reply = send(
        "GET",
        &format!(
            "{}/authorize?client_id={client_id}&redirect_uri={}{query}",
            server.url,
            url::form_urlencoded::byte_serialize(reference::REDIRECT_URI.as_bytes())
                .collect::<String>()
        ),
        None,
    );
    assert_eq!(reply.status, 302, "{}", reply.body);
    url::Url::parse(reply.header("location")).unwrap()
}

/// The base64url JSON of part `n` of a JWT.
fn jwt_part(token: &str, n: usize) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').nth(n).unwrap()).unwrap()).unwrap()
}

#[test]
fn discovery_names_the_origin_and_the_key_set_verifies_the_access_token() {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    let server = server(None);
    let discovery = send(
        "GET",
        &format!("{}/.well-known/openid-configuration", server.url),
        None,
    );
    assert_eq!(discovery.status, 200);
    let discovery = discovery.json();
    let issuer = format!("{}/", server.url);
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth/token", server.url)
    );
    assert_eq!(
        discovery["revocation_endpoint"],
        format!("{}/oauth/revoke", server.url)
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let jwks = send("GET", discovery["jwks_uri"].as_str().unwrap(), None);
    assert_eq!(jwks.status, 200);
    assert!(jwks.header("content-type").starts_with("application/json"));
    let jwks = jwks.json();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );

    let issued = token(
        &server,
        &json!({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "audience": AUDIENCE, "scope": null}),
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let access_token = issued.json()["access_token"].as_str().unwrap().to_owned();
    let header = jwt_part(&access_token, 0);
    assert_eq!(header["kid"], key["kid"]);
    assert_eq!(header["alg"], "RS256");
    let claims = jwt_part(&access_token, 1);
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], format!("{CLIENT_ID}@clients"));
    assert_eq!(claims["gty"], "client-credentials");
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
    let (signed, signature) = access_token.rsplit_once('.').unwrap();
    let public = RsaPublicKeyComponents {
        n: B64.decode(key["n"].as_str().unwrap()).unwrap(),
        e: B64.decode(key["e"].as_str().unwrap()).unwrap(),
    };
    public
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &B64.decode(signature).unwrap(),
        )
        .expect("the token verifies with the published key");
    // A token changed after signing does not.
    let forged = signed.replacen('.', ".e", 1);
    assert!(
        public
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                forged.as_bytes(),
                &B64.decode(signature).unwrap()
            )
            .is_err()
    );
}

/// auth0-python's default `login()`: every optional parameter present as `null`.
#[test]
fn a_null_member_is_no_member_and_the_password_realm_rows_are_reached() {
    let server = server(None);
    let login = |client: &str, secret: Option<&str>, scope: Value| {
        let mut body = json!({
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
            "client_id": client, "client_secret": secret,
            "username": "user@example.com", "password": "wrong",
            "scope": scope, "audience": null, "realm": null, "forwarded_for": null,
        });
        if secret.is_none() {
            body.as_object_mut().unwrap().remove("client_secret");
        }
        token(&server, &body)
    };
    let confidential = login(CLIENT_ID, Some(CLIENT_SECRET), Value::Null);
    assert_eq!(
        (confidential.status, confidential.json()["error"].as_str()),
        (403, Some("unauthorized_client")),
        "{}",
        confidential.body
    );
    let public = login(PUBLIC_CLIENT_ID, None, Value::Null);
    assert_eq!(
        (public.status, public.json()["error"].as_str()),
        (403, Some("invalid_grant")),
        "{}",
        public.body
    );
    // The scope-type row still refuses what is not a string or an array.
    for scope in [json!(true), json!(7), json!({"a": 1})] {
        let refused = login(CLIENT_ID, Some(CLIENT_SECRET), scope.clone());
        assert_eq!(refused.status, 400, "{scope}: {}", refused.body);
        assert_eq!(
            refused.json()["error_description"],
            "Scope must be an array or a string"
        );
    }
    // A null client_secret is no secret: the public client authenticates without one.
    let null_secret = token(
        &server,
        &json!({"grant_type": "refresh_token", "client_id": PUBLIC_CLIENT_ID,
                "client_secret": null, "refresh_token": "unknown"}),
    );
    assert_eq!(null_secret.status, 403, "{}", null_secret.body);
    assert_eq!(null_secret.json()["error"], "access_denied");
}

#[test]
fn the_limited_client_gets_429_with_the_rate_limit_headers_and_no_one_else_does() {
    let server = server(None);
    let ask = |client: &str, secret: &str| {
        token(
            &server,
            &json!({"grant_type": "client_credentials", "client_id": client,
                    "client_secret": secret, "audience": AUDIENCE}),
        )
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let answers: Vec<Reply> = (0..4)
        .map(|_| ask(LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET))
        .collect();
    // The window opens with the first request, whenever a loaded machine got to send it.
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        answers
            .iter()
            .map(|r| (
                r.status,
                r.header("x-ratelimit-limit"),
                r.header("x-ratelimit-remaining")
            ))
            .collect::<Vec<_>>(),
        [
            (200, "3", "2"),
            (200, "3", "1"),
            (200, "3", "0"),
            (429, "3", "0")
        ]
    );
    let limited = &answers[3];
    assert_eq!(limited.json()["error"], "too_many_requests");
    let reset: u64 = limited.header("x-ratelimit-reset").parse().unwrap();
    assert!(
        (now..=after + 11).contains(&reset),
        "{reset} vs {now}..{after}"
    );
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=10).contains(&retry));
    // Other clients have their own bucket.
    let other = ask(CLIENT_ID, CLIENT_SECRET);
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(other.header("x-ratelimit-limit"), "100");
    // Every answer carries the headers, errors and other endpoints included.
    for reply in [
        send("GET", &format!("{}/oauth/token", server.url), None),
        send("GET", &format!("{}/nowhere", server.url), None),
        send(
            "GET",
            &format!("{}/.well-known/jwks.json", server.url),
            None,
        ),
    ] {
        assert!(reply.header("x-ratelimit-limit").parse::<u32>().unwrap() > 0);
        reply.header("x-ratelimit-remaining");
        reply.header("x-ratelimit-reset");
    }
}

/// `--answers observed` gives exactly the answers of the built-in set `auth0-observed`: the
/// catalogue passes against it with that set and fails exactly those cases without it.
#[test]
fn observed_answers_are_exactly_the_observed_deviations() {
    let server = server_with(Config {
        answers: Answers::Observed,
        ..Config::default()
    });
    let deviations: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::pytools::repo_dir().join("cases/auth0/auth0-observed.deviations.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut listed: Vec<&str> = deviations["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["case"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    listed.dedup();
    let dir = tempfile::tempdir().unwrap();
    let verdicts_of = |extra: &[&str]| {
        let report = dir.path().join("r.json");
        let out = output(
            run_against(&server.url)
                .args(extra)
                .arg("--report-json")
                .arg(&report),
        );
        let report = read_report(&report);
        let mut by_kind: Vec<(String, String)> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["verdict"]["kind"] != "pass")
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["verdict"]["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        by_kind.sort();
        (out, by_kind)
    };
    let (out, accepted) = verdicts_of(&["--deviations", "auth0-observed"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        accepted,
        listed
            .iter()
            .map(|id| (id.to_string(), "known_deviation".to_owned()))
            .collect::<Vec<_>>()
    );
    let (out, failed) = verdicts_of(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(
        failed,
        listed
            .iter()
            .map(|id| (id.to_string(), "fail".to_owned()))
            .collect::<Vec<_>>()
    );
}

/// `serve --tls`: the catalogue passes over https trusting only the CA it wrote, the vars file
/// it wrote (with its `$app` member for apps) is what `run` reads, and nothing trusts it
/// without the CA.
#[test]
fn serve_tls_passes_the_catalogue_over_https_with_the_ca_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (vars, ca, report) = (
        dir.path().join("vars.json"),
        dir.path().join("ca.pem"),
        dir.path().join("r.json"),
    );
    let (mut child, url) = serve_child(&[
        "--tls",
        "--write-ca",
        ca.to_str().unwrap(),
        "--write-vars",
        vars.to_str().unwrap(),
    ]);
    let run = |extra: &[&str]| {
        output(
            authconform()
                .args([
                    "run", "--color", "never", "--rate", "0", "--target", &url, "--vars",
                ])
                .arg(&vars)
                .args(extra)
                .arg("--report-json")
                .arg(&report),
        )
    };
    let trusted = run(&["--cacert", ca.to_str().unwrap()]);
    let untrusted = run(&[]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert_eq!(trusted.code, 0, "{}\n{}", trusted.stdout, trusted.stderr);
    assert_eq!(untrusted.code, 1, "{}", untrusted.stdout);
    let report = read_report(&report);
    assert!(
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"]["kind"] == "error"),
        "without the CA nothing is judged"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&vars).unwrap()).unwrap();
    assert_eq!(file["$app"]["url"], url.as_str());
    assert_eq!(file["$app"]["limited_client_id"], LIMITED_CLIENT_ID);
    assert_eq!(file["$app"]["web_client_id"], WEB_CLIENT_ID);
    assert_eq!(
        file["$app"]["web_client_secret"],
        json!({ "secret": WEB_CLIENT_SECRET })
    );
    assert_eq!(file["$app"]["ca"], ca.to_str().unwrap());
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[test]
fn serve_refuses_flags_that_cannot_apply() {
    for (args, says) in [
        (&["--write-ca", "x.pem"][..], "--tls"),
        (
            &["--profile", "rfc", "--answers", "observed"][..],
            "--profile auth0",
        ),
        (&["--overwrite"][..], "--write-vars or --write-ca"),
    ] {
        let out = output(authconform().arg("serve").args(args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}

/// `/authorize` returns `state` only when one was sent (openid-client rejects a callback with a
/// `state` it did not send), and the legacy `/delegation` that auth0-python still calls is
/// disabled, as on tenants.
#[test]
fn authorize_echoes_only_the_state_it_was_sent_and_delegation_is_disabled() {
    let server = server(None);
    let location = |query: &str| {
        authorize(
            &server,
            PUBLIC_CLIENT_ID,
            &format!("&response_type=code{query}"),
        )
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "code")
        .collect::<Vec<_>>()
    };
    assert_eq!(location(""), []);
    assert_eq!(
        location("&state=abc"),
        [("state".to_owned(), "abc".to_owned())]
    );
    let delegation = send(
        "POST",
        &format!("{}/delegation", server.url),
        Some(
            &json!({"client_id": CLIENT_ID, "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}),
        ),
    );
    assert_eq!(delegation.status, 404);
    assert_eq!(delegation.json()["error"], "endpoint_disabled");
    assert_eq!(
        delegation.json()["error_description"],
        "The endpoint /delegation is disabled for this tenant."
    );
}

/// The code flow an app's login takes: /authorize issues a code that the token endpoint
/// exchanges once, for its client, with the PKCE verifier, for an access token and (with
/// `openid`) an ID token carrying the nonce, both signed by the published key. Any other use of
/// a code is the documented 403 invalid_grant.
#[test]
fn a_code_from_authorize_is_exchanged_once_with_its_verifier() {
    let server = server(None);
    let verifier = "a-verifier-of-at-least-forty-three-characters-0123";
    let challenge = B64.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let code = || {
        authorize(
            &server,
            CLIENT_ID,
            &format!("&response_type=code&scope=openid%20profile&state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256"),
        )
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
    };
    let exchange = |code: &str, client: (&str, &str), verifier: &str| {
        token(
            &server,
            &json!({"grant_type": "authorization_code", "client_id": client.0,
                    "client_secret": client.1, "code": code, "code_verifier": verifier,
                    "redirect_uri": reference::REDIRECT_URI}),
        )
    };
    let first = code();
    let issued = exchange(&first, (CLIENT_ID, CLIENT_SECRET), verifier);
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.header("cache-control"), "no-store");
    let id_token = issued.json()["id_token"].as_str().unwrap().to_owned();
    let claims = jwt_part(&id_token, 1);
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(claims["iss"], format!("{}/", server.url));
    let jwks = send(
        "GET",
        &format!("{}/.well-known/jwks.json", server.url),
        None,
    )
    .json();
    assert_eq!(jwt_part(&id_token, 0)["kid"], jwks["keys"][0]["kid"]);

    let access_token = issued.json()["access_token"].as_str().unwrap().to_owned();
    userinfo_knows_only_its_user(&server, &access_token, &id_token, &claims["sub"]);

    let refused = |reply: Reply, description: &str| {
        assert_eq!(reply.status, 403, "{}", reply.body);
        assert_eq!(reply.json()["error"], "invalid_grant");
        assert_eq!(reply.json()["error_description"], description);
    };
    // Used once only.
    refused(
        exchange(&first, (CLIENT_ID, CLIENT_SECRET), verifier),
        "Invalid authorization code",
    );
    refused(
        exchange(&code(), (CLIENT_ID, CLIENT_SECRET), "another-verifier"),
        "Failed to verify code verifier",
    );
    refused(
        exchange(
            &code(),
            (LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET),
            verifier,
        ),
        "Invalid authorization code",
    );
    refused(
        exchange("code_never_issued", (CLIENT_ID, CLIENT_SECRET), verifier),
        "Invalid authorization code",
    );
}

/// The regular web app is a client of every endpoint a web app uses: /authorize gives it a
/// code that it exchanges with its secret, and signup, a password reset and logout take its
/// client id.
#[test]
fn the_web_client_signs_users_in_through_every_endpoint_a_web_app_uses() {
    let server = server(None);
    let location = authorize(&server, WEB_CLIENT_ID, "&response_type=code&scope=openid");
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let issued = token(
        &server,
        &json!({"grant_type": "authorization_code", "client_id": WEB_CLIENT_ID,
                "client_secret": WEB_CLIENT_SECRET, "code": code,
                "redirect_uri": reference::REDIRECT_URI}),
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let claims = jwt_part(issued.json()["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims["aud"], WEB_CLIENT_ID);
    let signup = send(
        "POST",
        &format!("{}/dbconnections/signup", server.url),
        Some(
            &json!({"client_id": WEB_CLIENT_ID, "connection": reference::DB_CONNECTION,
                     "email": "new-web-user@example.com", "password": "Str0ng-web-user!"}),
        ),
    );
    assert_eq!(signup.status, 200, "{}", signup.body);
    let reset = send(
        "POST",
        &format!("{}/dbconnections/change_password", server.url),
        Some(
            &json!({"client_id": WEB_CLIENT_ID, "connection": reference::DB_CONNECTION,
                     "email": "new-web-user@example.com"}),
        ),
    );
    assert_eq!(reset.status, 200, "{}", reset.body);
    let logout = send(
        "GET",
        &format!("{}/v2/logout?client_id={WEB_CLIENT_ID}", server.url),
        None,
    );
    assert_eq!((logout.status, logout.body.as_str()), (200, "OK"));
}

/// /userinfo knows the user of `access_token` (whose ID token's subject is `sub`), and answers
/// anything else as tenants do: 401, a plain `Unauthorized` without Content-Type, the error in
/// WWW-Authenticate.
fn userinfo_knows_only_its_user(server: &Server, access_token: &str, id_token: &str, sub: &Value) {
    let userinfo =
        |token: Option<&str>| send_as("GET", &format!("{}/userinfo", server.url), None, token);
    let me = userinfo(Some(access_token));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["sub"], *sub);
    let machine = token(
        server,
        &json!({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "audience": AUDIENCE}),
    )
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (bad, error) in [
        (Some("not-a-token"), true),
        (Some(machine.as_str()), true),
        (Some(id_token), true),
        (None, false),
    ] {
        let refused = userinfo(bad);
        assert_eq!(
            (refused.status, refused.body.as_str()),
            (401, "Unauthorized")
        );
        assert!(refused.headers.get("content-type").is_none());
        let challenge = refused.header("www-authenticate");
        assert!(
            challenge.starts_with("Bearer realm=\"Users\""),
            "{challenge}"
        );
        assert_eq!(
            challenge.contains("error=\"invalid_token\""),
            error,
            "{challenge}"
        );
    }
}

/// Found in review: `serve --write-vars` on a symbolic link wrote the secrets wherever the link
/// pointed (with --overwrite, it also made that file 0600). A link is refused, exit 2, and
/// what it points at is left as it was.
#[test]
fn serve_never_writes_its_secrets_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "kept\n").unwrap();
    let link = dir.path().join("vars.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling.json");
    std::os::unix::fs::symlink(dir.path().join("created-through-it"), &dangling).unwrap();
    for (path, extra) in [(&link, &["--overwrite"][..]), (&dangling, &[][..])] {
        let out = output(
            authconform()
                .args(["serve", "--write-vars"])
                .arg(path)
                .args(extra)
                .timeout(std::time::Duration::from_secs(30)),
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("a symbolic link"), "{}", out.stderr);
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    assert!(!dir.path().join("created-through-it").exists());
}
