//! `--discover`: the endpoint variables from the target's own discovery document, OpenID
//! Connect's `/.well-known/openid-configuration`, else RFC 8414's
//! `/.well-known/oauth-authorization-server`. What it finds fills the endpoint variables the
//! user did not set; where they point is then held to the target's origin like any other.

use serde_json::Value;

use crate::{
    error::Error,
    http::{
        plan::{Prepared, Target},
        send::Sender,
    },
};

/// The discovery documents, in the order tried.
const DOCUMENTS: &[&str] = &[
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
];

/// The members of a discovery document that name the catalogue's endpoint variables.
const ENDPOINTS: &[&str] = &[
    "token_endpoint",
    "revocation_endpoint",
    "authorization_endpoint",
    "userinfo_endpoint",
    "device_authorization_endpoint",
];

/// What discovery found: the document's URL and the endpoints it names, by variable.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovered {
    pub document: String,
    pub endpoints: Vec<(String, String)>,
}

/// Reads the target's discovery document. A document that is missing (both tried), not a JSON
/// object, cut at the body limit, or unreachable is a usage error naming its URL.
pub async fn discover(target: &Target, sender: &Sender) -> Result<Discovered, Error> {
    let mut tried = Vec::new();
    for path in DOCUMENTS {
        let url = target
            .join(path)
            .map_err(|e| Error::Usage(format!("--discover: {e}")))?;
        let request = Prepared::get(url.clone());
        let response = sender
            .send(&request)
            .await
            .map_err(|e| Error::Usage(format!("--discover: {url}: {}", e.message)))?;
        if response.status == 404 {
            tried.push(url.to_string());
            continue;
        }
        let fail = |what: &str| Error::Usage(format!("--discover: {url}: {what}"));
        if response.status != 200 {
            return Err(fail(&format!("answered {}, not 200", response.status)));
        }
        if response.truncated {
            return Err(fail("the document is larger than 1 MiB"));
        }
        let doc: Value =
            serde_json::from_slice(&response.body).map_err(|e| fail(&format!("not JSON: {e}")))?;
        let Value::Object(members) = doc else {
            return Err(fail("not a JSON object"));
        };
        let endpoints = ENDPOINTS
            .iter()
            .filter_map(|name| {
                let value = members.get(*name)?.as_str()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect();
        return Ok(Discovered {
            document: url.to_string(),
            endpoints,
        });
    }
    Err(Error::Usage(format!(
        "--discover: no discovery document: {} answered 404",
        tried.join(" and ")
    )))
}
