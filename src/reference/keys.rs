//! The signing key behind `/.well-known/jwks.json`, and the JWTs it signs. Auth0 tenants sign
//! with RS256 and publish the key; SDKs fetch the set to verify what the tenant issued (an
//! API's access tokens, ID tokens), so the test double does the same. The key is made on first
//! use, not at start: RSA key generation costs tens of milliseconds, and a run of the
//! catalogue never needs it.

use std::sync::OnceLock;

use aws_lc_rs::{
    rand::SystemRandom,
    rsa::{KeyPair, KeySize, PublicKeyComponents},
    signature::{KeyPair as _, RSA_PKCS1_SHA256},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::{Value, json};

/// One RSA key, with its id and public parameters.
pub struct Key {
    pair: KeyPair,
    jwk: Value,
    kid: String,
}

/// The key, made on first use.
#[derive(Default)]
pub struct Keys(OnceLock<Result<Key, String>>);

impl Keys {
    fn key(&self) -> Result<&Key, String> {
        self.0
            .get_or_init(|| {
                let pair = KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| "could not make an RSA key".to_owned())?;
                let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let n = B64.encode(&public.n);
                // A key id that follows the key: the start of its modulus's digest.
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &public.n);
                let kid = B64.encode(&digest.as_ref()[..12]);
                let jwk = json!({
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": kid,
                    "n": n,
                    "e": B64.encode(&public.e),
                });
                Ok(Key { pair, jwk, kid })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The JSON Web Key Set, as `/.well-known/jwks.json` serves it.
    pub fn jwks(&self) -> Result<Value, String> {
        Ok(json!({ "keys": [self.key()?.jwk.clone()] }))
    }

    /// The claims of `token` if this key signed it (RS256), else None. Only a token this
    /// server issued can verify: without a key there is none.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let key = self.0.get()?.as_ref().ok()?;
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, claims) = signed.split_once('.')?;
        let header: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
        if header["alg"] != "RS256" {
            return None;
        }
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            key.pair.public_key().as_ref(),
        );
        public
            .verify(signed.as_bytes(), &B64.decode(signature).ok()?)
            .ok()?;
        serde_json::from_slice(&B64.decode(claims).ok()?).ok()
    }

    /// `claims` as a JWT signed with RS256 by the key in the set.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let key = self.key()?;
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid });
        let mut token = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let mut signature = vec![0; key.pair.public_modulus_len()];
        key.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "could not sign a token".to_owned())?;
        token.push('.');
        token.push_str(&B64.encode(signature));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

    /// A token verifies against the published key, as an SDK would verify it.
    #[test]
    fn a_signed_token_verifies_with_the_published_key() {
        let keys = Keys::default();
        let token = keys.sign(&json!({ "sub": "x" })).unwrap();
        let jwks = keys.jwks().unwrap();
        let jwk = &jwks["keys"][0];
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let header: Value =
            serde_json::from_slice(&B64.decode(signed.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert_eq!(header["kid"], jwk["kid"]);
        assert_eq!(header["alg"], "RS256");
        let public = RsaPublicKeyComponents {
            n: B64.decode(jwk["n"].as_str().unwrap()).unwrap(),
            e: B64.decode(jwk["e"].as_str().unwrap()).unwrap(),
        };
        let signature = B64.decode(signature).unwrap();
        public
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .unwrap();
        assert!(
            public
                .verify(&RSA_PKCS1_2048_8192_SHA256, b"other", &signature)
                .is_err()
        );
    }

    #[test]
    fn only_tokens_it_signed_verify() {
        let keys = Keys::default();
        assert_eq!(keys.verify("a.b.c"), None, "no key yet: nothing verifies");
        let token = keys.sign(&json!({ "sub": "x" })).unwrap();
        assert_eq!(keys.verify(&token), Some(json!({ "sub": "x" })));
        let other = Keys::default().sign(&json!({ "sub": "x" })).unwrap();
        assert_eq!(keys.verify(&other), None, "another key's token");
        let (signed, _) = token.rsplit_once('.').unwrap();
        let (_, forged_sig) = other.rsplit_once('.').unwrap();
        assert_eq!(keys.verify(&format!("{signed}.{forged_sig}")), None);
        assert_eq!(keys.verify("not a token"), None);
    }
}
