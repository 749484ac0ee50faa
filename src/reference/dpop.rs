//! DPoP proofs (RFC 9449) as a tenant that requires them checks them at `/oauth/token`: a
//! `DPoP` header that is not a proof signed by the key it carries, for this method and URL,
//! issued within the last few minutes, is `invalid_dpop_proof`; a good proof without the
//! server's nonce is `use_dpop_nonce`, with the nonce to use in `DPoP-Nonce` (§8).

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use axum::{
    http::{HeaderMap, HeaderName, Method},
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::Value;

use super::{endpoints::State, entries::Entry};

/// How old a proof may be, and how far ahead of this server's clock (seconds).
const MAX_AGE: u64 = 300;
const MAX_AHEAD: u64 = 60;

/// What a request's `DPoP` header is.
#[derive(Debug, PartialEq, Eq)]
pub enum Proof {
    /// No header: the request is not DPoP.
    Absent,
    /// Not a valid proof for this request, and why.
    Invalid(&'static str),
    /// A valid proof, with the nonce it carries.
    Valid { nonce: Option<String> },
}

/// The answer to a token request for `htu` whose DPoP proof this server does not take: a bad
/// proof, or a good one without the server's nonce (every DPoP client here must use it). None
/// when the request sent no proof or a good one with the nonce.
pub fn refuse(state: &State, headers: &HeaderMap, htu: &str, now: u64) -> Option<Response> {
    let nonce = state.dpop_nonce();
    let entry = match check(headers, &Method::POST, htu, now) {
        Proof::Absent => return None,
        Proof::Valid { nonce: Some(given) } if given == nonce => return None,
        Proof::Invalid(why) => Entry::new("dpop-invalid-proof").text(why),
        Proof::Valid { .. } => {
            Entry::new("dpop-use-nonce").header(HeaderName::from_static("dpop-nonce"), nonce)
        }
    };
    Some(entry.answer(state.fault()))
}

/// Reads the `DPoP` header of a request for `method` on `htu` (its URL without query), at
/// `now` seconds since the epoch.
pub fn check(headers: &HeaderMap, method: &Method, htu: &str, now: u64) -> Proof {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Proof::Absent;
    };
    if values.next().is_some() {
        return Proof::Invalid("Only one DPoP proof is allowed.");
    }
    match value
        .to_str()
        .map_err(|_| "The DPoP proof is not a JWT.")
        .and_then(|jwt| read(jwt, method, htu, now))
    {
        Ok(nonce) => Proof::Valid { nonce },
        Err(why) => Proof::Invalid(why),
    }
}

fn segment(text: &str) -> Result<Value, &'static str> {
    let bytes = B64
        .decode(text)
        .map_err(|_| "The DPoP proof is not a JWT.")?;
    serde_json::from_slice(&bytes).map_err(|_| "The DPoP proof is not a JWT.")
}

fn read(jwt: &str, method: &Method, htu: &str, now: u64) -> Result<Option<String>, &'static str> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [head, body, signature] = parts[..] else {
        return Err("The DPoP proof is not a JWT.");
    };
    let header = segment(head)?;
    let claims = segment(body)?;
    if header["typ"] != "dpop+jwt" {
        return Err("The DPoP proof's typ is not dpop+jwt.");
    }
    if header["alg"] != "ES256" {
        return Err("The DPoP proof's alg is not supported.");
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk.get("d").is_some() {
        return Err("The DPoP proof's jwk is not a P-256 public key.");
    }
    let mut point = vec![4u8];
    for c in ["x", "y"] {
        let coordinate = jwk[c]
            .as_str()
            .and_then(|v| B64.decode(v).ok())
            .filter(|v| v.len() == 32)
            .ok_or("The DPoP proof's jwk is not a P-256 public key.")?;
        point.extend(coordinate);
    }
    let signature = B64
        .decode(signature)
        .map_err(|_| "The DPoP proof's signature is invalid.")?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .verify(format!("{head}.{body}").as_bytes(), &signature)
        .map_err(|_| "The DPoP proof's signature is invalid.")?;
    if claims["jti"].as_str().is_none_or(str::is_empty) {
        return Err("The DPoP proof has no jti.");
    }
    if claims["htm"].as_str() != Some(method.as_str()) {
        return Err("The DPoP proof's htm does not match the request.");
    }
    if claims["htu"].as_str() != Some(htu) {
        return Err("The DPoP proof's htu does not match the request.");
    }
    let fresh = claims["iat"].as_u64().is_some_and(|iat| {
        iat.saturating_add(MAX_AGE) >= now && iat <= now.saturating_add(MAX_AHEAD)
    });
    if !fresh {
        return Err("The DPoP proof's iat is not recent.");
    }
    Ok(claims["nonce"].as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::dpop::proof;

    const NOW: u64 = 1_800_000_000;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("dpop", value.parse().unwrap());
        h
    }

    #[test]
    fn a_proof_holds_for_its_own_request_only_and_recently() {
        let url = url::Url::parse("http://127.0.0.1:9/oauth/token").unwrap();
        let htu = "http://127.0.0.1:9/oauth/token";
        let good = proof("POST", &url, Some("n"), NOW).unwrap();
        assert_eq!(
            check(&with(&good), &Method::POST, htu, NOW + 10),
            Proof::Valid {
                nonce: Some("n".into())
            }
        );
        assert_eq!(
            check(&HeaderMap::new(), &Method::POST, htu, NOW),
            Proof::Absent
        );
        let invalid = |headers: &HeaderMap, method: &Method, htu: &str, now| {
            matches!(check(headers, method, htu, now), Proof::Invalid(_))
        };
        assert!(invalid(&with(&good), &Method::GET, htu, NOW));
        assert!(invalid(
            &with(&good),
            &Method::POST,
            "http://127.0.0.1:9/other",
            NOW
        ));
        assert!(invalid(&with(&good), &Method::POST, htu, NOW + MAX_AGE + 1));
        assert!(invalid(&with("not-a-proof"), &Method::POST, htu, NOW));
        // Another proof's claims under this one's signature.
        let other = proof("POST", &url, Some("m"), NOW).unwrap();
        let (signed, _) = other.rsplit_once('.').unwrap();
        let forged = format!("{signed}.{}", good.rsplit_once('.').unwrap().1);
        assert!(invalid(&with(&forged), &Method::POST, htu, NOW));
        let mut two = with(&good);
        two.append("dpop", good.parse().unwrap());
        assert!(invalid(&two, &Method::POST, htu, NOW));
    }
}
