//! HTTPS for `serve --tls`. Auth0's SDKs only speak https (auth0-auth-js builds
//! `https://{domain}` and checks the discovery document's issuer against it), so a test double
//! they can use needs TLS. At start the server makes a throwaway CA and, signed by it, a
//! certificate for `127.0.0.1` and `localhost`; the app trusts the CA's PEM (NODE_EXTRA_CA_CERTS,
//! REQUESTS_CA_BUNDLE, `run --cacert`). Nothing is kept: the next start makes new ones.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio_rustls::{TlsAcceptor, rustls};

/// The certificate material of one start.
pub struct Tls {
    /// The CA certificate to trust, PEM.
    pub ca_pem: String,
    acceptor: TlsAcceptor,
}

/// A new CA and a server certificate signed by it.
pub fn make() -> Result<Tls, String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let ca_key = KeyPair::generate().map_err(|e| failed("a CA key", &e))?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("a CA", &e))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "authconform serve: throwaway CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| failed("a CA", &e))?;
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().map_err(|e| failed("a server key", &e))?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .and_then(|p| p.signed_by(&leaf_key, &issuer))
        .map_err(|e| failed("a server certificate", &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed("TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .map_err(|e| failed("TLS", &e))?;
    Ok(Tls {
        ca_pem: ca_cert.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

impl Tls {
    /// What shakes hands with each client (see [`super::serving`], which bounds its time).
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}
