//! HTTPS for `serve --tls`. Auth0's SDKs only speak https (auth0-auth-js builds
//! `https://{domain}` and checks the discovery document's issuer against it), so a test double
//! they can use needs TLS. At start the server makes a throwaway CA and, signed by it, a
//! certificate for `127.0.0.1` and `localhost`; the app trusts the CA's PEM (NODE_EXTRA_CA_CERTS,
//! REQUESTS_CA_BUNDLE, `run --cacert`). Nothing is kept: the next start makes new ones.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::{net::TcpListener, sync::mpsc};
use tokio_rustls::{TlsAcceptor, rustls, server::TlsStream};

/// A client that opens a connection and says nothing must not hold a handshake slot forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Connections that finished their handshake, for `axum::serve`.
pub struct Listener {
    ready: mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

/// Accepts on `tcp` and shakes hands with each client in its own task, so that one slow client
/// does not hold up the next; a failed handshake is dropped (the client sees why).
pub fn listen(tcp: TcpListener, tls: &Tls) -> std::io::Result<Listener> {
    let addr = tcp.local_addr()?;
    let (send, ready) = mpsc::channel(64);
    let acceptor = tls.acceptor.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = tcp.accept().await else {
                // Out of file descriptors and the like: wait, as axum's own listener does.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            let ready = send.clone();
            tokio::spawn(async move {
                if let Ok(Ok(stream)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                {
                    let _ = ready.send((stream, peer)).await;
                }
            });
            if send.is_closed() {
                return;
            }
        }
    });
    Ok(Listener { ready, addr })
}

impl axum::serve::Listener for Listener {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
