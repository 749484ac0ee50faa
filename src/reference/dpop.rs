//! DPoP (RFC 9449) at the token endpoint: a request that carries a `DPoP` header must carry
//! one proof, a JWT of type `dpop+jwt` signed with an asymmetric key whose public JWK it
//! holds, for this request (`htm`, `htu`) and recent (`iat`); else the tenant refuses it with
//! 400 invalid_dpop_proof. This server reads the proof's form and claims but does not verify
//! its signature: it exists for tests, and a client's bad proof is almost always a bad form.

use axum::{http::HeaderMap, response::Response};
use base64::Engine;
use serde_json::Value;

use super::{endpoints::State, entries::Entry};

/// How far a proof's `iat` may be from now, in seconds (RFC 9449 §11.1 leaves it to the
/// server; a few minutes allows for clock skew).
const IAT_WINDOW: u64 = 300;

/// The answer to a request whose DPoP proof is not acceptable; None when it sent none or a
/// good one.
pub fn refuse(state: &State, headers: &HeaderMap, now: u64) -> Option<Response> {
    let proofs: Vec<_> = headers.get_all("dpop").iter().collect();
    if proofs.is_empty() {
        return None;
    }
    let problem = match proofs.as_slice() {
        [one] => one
            .to_str()
            .map_err(|_| "The DPoP proof is not a JWT.")
            .and_then(|proof| check(proof, now))
            .err(),
        _ => Some("A request carries at most one DPoP proof."),
    }?;
    Some(
        Entry::new("dpop-invalid-proof")
            .text(problem)
            .answer(state.fault()),
    )
}

/// The JSON of one base64url part of a JWT.
fn part(encoded: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
}

/// What is wrong with a proof for a POST to the token endpoint at `now`, if anything.
fn check(proof: &str, now: u64) -> Result<(), &'static str> {
    let parts: Vec<&str> = proof.trim().split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("The DPoP proof is not a JWT.");
    };
    let (Some(header), Some(claims)) = (part(header), part(claims)) else {
        return Err("The DPoP proof is not a JWT.");
    };
    if signature.is_empty() {
        return Err("The DPoP proof is not signed.");
    }
    if header["typ"] != "dpop+jwt" {
        return Err("The DPoP proof's typ must be dpop+jwt.");
    }
    let alg = header["alg"].as_str().unwrap_or_default();
    if alg.is_empty() || alg == "none" || alg.starts_with("HS") {
        return Err("The DPoP proof must be signed with an asymmetric algorithm.");
    }
    if !header["jwk"].is_object() || header["jwk"].get("d").is_some() {
        return Err("The DPoP proof's jwk must be a public key.");
    }
    if claims["htm"] != "POST" || !claims["htu"].is_string() || !claims["jti"].is_string() {
        return Err("The DPoP proof must have htm POST, htu and jti.");
    }
    let fresh = claims["iat"]
        .as_u64()
        .is_some_and(|iat| iat.abs_diff(now) <= IAT_WINDOW);
    if !fresh {
        return Err("The DPoP proof's iat is missing or not recent.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(v: &Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn proof(header: &Value, claims: &Value) -> String {
        format!("{}.{}.c2ln", encode(header), encode(claims))
    }

    #[test]
    fn a_well_formed_proof_passes_and_each_flaw_is_named() {
        let now = 1_800_000_000;
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}});
        let claims = json!({"htm": "POST", "htu": "https://t/oauth/token", "jti": "j", "iat": now});
        assert_eq!(check(&proof(&header, &claims), now), Ok(()));
        assert!(check("not-a-jwt", now).is_err());
        assert!(check(&format!("{}.{}.", encode(&header), encode(&claims)), now).is_err());
        let mut bad = header.clone();
        bad["typ"] = json!("JWT");
        assert!(check(&proof(&bad, &claims), now).is_err());
        let mut bad = header.clone();
        bad["alg"] = json!("HS256");
        assert!(check(&proof(&bad, &claims), now).is_err());
        let mut bad = header.clone();
        bad["jwk"]["d"] = json!("private");
        assert!(check(&proof(&bad, &claims), now).is_err());
        let mut stale = claims.clone();
        stale["iat"] = json!(now - 2 * IAT_WINDOW);
        assert!(check(&proof(&header, &stale), now).is_err());
        let mut get = claims;
        get["htm"] = json!("GET");
        assert!(check(&proof(&header, &get), now).is_err());
    }
}
