//! DPoP proofs (RFC 9449 §4): a case that asks for one (`request.dpop`) is sent with a `DPoP`
//! header holding a JWT signed, when the request goes, with an ES256 key made for the run: its
//! public key in the header, and `jti`, `htm`, `htu`, `iat` (and a server's `nonce`, when the
//! case gives one) as claims. Made at each attempt, since a proof is good for one request.

use std::sync::OnceLock;

use aws_lc_rs::{
    rand::{SecureRandom, SystemRandom},
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::json;

/// The run's key, made on first use (a run without a DPoP case never makes one).
fn key() -> Result<&'static EcdsaKeyPair, String> {
    static KEY: OnceLock<Result<EcdsaKeyPair, String>> = OnceLock::new();
    KEY.get_or_init(|| {
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| "could not make a P-256 key for the DPoP proofs".to_owned())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The `htu` of a request: its URL without query and fragment (RFC 9449 §4.2).
pub fn htu(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A proof for `method` on `url`, issued `now` (seconds since the epoch).
pub fn proof(
    method: &str,
    url: &url::Url,
    nonce: Option<&str>,
    now: u64,
) -> Result<String, String> {
    let key = key()?;
    let point = key.public_key().as_ref();
    // An uncompressed P-256 point: 0x04, then x and y of 32 bytes each.
    let (x, y) = point[1..].split_at(32);
    let header = json!({
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": {"kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y)},
    });
    let mut jti = [0u8; 16];
    SystemRandom::new()
        .fill(&mut jti)
        .map_err(|_| "no randomness for a DPoP proof's jti".to_owned())?;
    let mut claims = json!({
        "jti": B64.encode(jti),
        "htm": method,
        "htu": htu(url),
        "iat": now,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = key
        .sign(&SystemRandom::new(), input.as_bytes())
        .map_err(|_| "could not sign a DPoP proof".to_owned())?;
    Ok(format!("{input}.{}", B64.encode(signature.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
    use serde_json::Value;

    #[test]
    fn a_proof_is_an_es256_jwt_its_own_key_verifies_for_the_request() {
        let url = url::Url::parse("https://t.example/oauth/token?x=1#f").unwrap();
        let jwt = proof("POST", &url, Some("n-1"), 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(claims["htu"], "https://t.example/oauth/token");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["nonce"], "n-1");
        let mut point = vec![4u8];
        for c in ["x", "y"] {
            point.extend(B64.decode(header["jwk"][c].as_str().unwrap()).unwrap());
        }
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(signed.as_bytes(), &B64.decode(parts[2]).unwrap())
            .unwrap();
        let again = proof("POST", &url, None, 1_700_000_000).unwrap();
        assert_ne!(again, jwt, "a new jti each time");
    }
}
