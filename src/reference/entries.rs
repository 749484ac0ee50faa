//! The answers to the rows of the auth0 table of errors per endpoint
//! (`cases/auth0/endpoint-errors.json`), as a tenant sends them: the row's status, its body in
//! its shape (OAuth's `{error, error_description}`, Boom's `{name, code, description,
//! statusCode}`, or text), and whatever members and headers the handler adds. Each row's fault
//! bends its answer here, and only here.

use axum::{
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{Fault, endpoints::token_error_caching};
use crate::catalogue::seed::{self, SeedRow, Shape};

/// The answer to one row, built up by its handler.
pub struct Entry {
    index: usize,
    text: Option<Value>,
    status: Option<u16>,
    name: Option<&'static str>,
    extra: serde_json::Map<String, Value>,
    headers: Vec<(HeaderName, String)>,
}

impl Entry {
    /// The row named `id` in the table. Every id a handler names is in the table: the fault
    /// proof provokes every row.
    pub fn new(id: &str) -> Entry {
        let index = seed::endpoint_table()
            .rows
            .iter()
            .position(|r| r.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no row {id} in cases/auth0/endpoint-errors.json"));
        Entry {
            index,
            text: None,
            status: None,
            name: None,
            extra: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// The description, where the row records no exact text (for a Boom body, a value: the
    /// rules object of a weak password).
    pub fn text(mut self, text: impl Into<Value>) -> Entry {
        self.text = Some(text.into());
        self
    }

    /// Another status than the row's: what tenants are seen to send where it departs from the
    /// documented one (`--answers observed`).
    pub fn status(mut self, status: u16) -> Entry {
        self.status = Some(status);
        self
    }

    /// A Boom body's `name` (`BadRequestError` unless given).
    pub fn name(mut self, name: &'static str) -> Entry {
        self.name = Some(name);
        self
    }

    /// One more member of the JSON body (`mfa_token`, `policy`).
    pub fn member(mut self, name: &str, value: impl Into<Value>) -> Entry {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// One more header (`WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`).
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Entry {
        self.headers.push((name, value.into()));
        self
    }

    fn row(&self) -> &'static SeedRow {
        &seed::endpoint_table().rows[self.index]
    }

    /// The answer, bent when `fault` aims at this row (or at every OAuth body).
    pub fn answer(self, fault: Option<Fault>) -> Response {
        let row = self.row();
        let bent = fault == Some(Fault::Entry(self.index));
        let mut status = self.status.unwrap_or(row.status);
        let mut code = row.error.clone();
        if bent {
            match (row.shape, &code) {
                (Shape::Text, _) | (_, None) => status = if status == 400 { 422 } else { 400 },
                _ => code = Some("wrong_code".into()),
            }
        }
        let text = row
            .description
            .clone()
            .or_else(|| row.documented_text.clone())
            .map(Value::String)
            .or(self.text.clone())
            .unwrap_or(Value::Null);
        let token = row.endpoint.as_deref() == Some("POST /oauth/token");
        let mut content_type = if token {
            "application/json"
        } else {
            "application/json; charset=utf-8"
        };
        let body = match row.shape {
            Shape::Text => {
                content_type = "text/plain; charset=utf-8";
                text.as_str().unwrap_or_default().to_owned()
            }
            Shape::Boom => {
                let mut body = json!({
                    "name": self.name.unwrap_or("BadRequestError"),
                    "code": code,
                    "description": text,
                    "statusCode": status,
                });
                body.as_object_mut()
                    .expect("an object")
                    .extend(self.extra.clone());
                body.to_string()
            }
            Shape::Oauth => {
                let mut body = json!({ "error": code });
                if fault != Some(Fault::NoErrorDescription) && !text.is_null() {
                    body["error_description"] = text;
                }
                if fault == Some(Fault::ErrorsAsTextPlain) {
                    content_type = "text/plain";
                }
                body.as_object_mut()
                    .expect("an object")
                    .extend(self.extra.clone());
                body.to_string()
            }
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if row.shape == Shape::Text {
            // A text that may echo what the client sent (an Origin, a returnTo) is never
            // sniffed into a page.
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
        }
        if token {
            token_error_caching(headers);
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parts(r: Response) -> (u16, String, String) {
        let status = r.status().as_u16();
        let content_type = r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn each_shape_is_sent_as_a_tenant_sends_it_and_its_fault_bends_it() {
        assert_eq!(
            parts(Entry::new("signup-user-exists").answer(None)).await.0,
            409
        );
        // As tenants are seen to answer: the status given, in the body too.
        let observed = Entry::new("signup-user-exists").status(400);
        let (status, media, body) = parts(observed.answer(None)).await;
        assert_eq!(
            (status, media.as_str()),
            (400, "application/json; charset=utf-8")
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"name": "BadRequestError", "code": "user_exists",
                   "description": "The user already exists.", "statusCode": 400})
        );
        let fault = "signup-user-exists-wrong-code".parse::<Fault>().unwrap();
        let (_, _, body) = parts(Entry::new("signup-user-exists").answer(Some(fault))).await;
        assert!(body.contains(r#""code":"wrong_code""#), "{body}");

        let (status, media, body) = parts(Entry::new("userinfo-unauthorized").answer(None)).await;
        assert_eq!(
            (status, media.as_str(), body.as_str()),
            (401, "text/plain; charset=utf-8", "Unauthorized")
        );
        let fault = "userinfo-unauthorized-wrong-status"
            .parse::<Fault>()
            .unwrap();
        let (status, ..) = parts(Entry::new("userinfo-unauthorized").answer(Some(fault))).await;
        assert_eq!(status, 400);

        let r = Entry::new("mfa-token-malformed")
            .member("extra", 1)
            .answer(Some(Fault::NoErrorDescription));
        assert_eq!(r.headers()[header::PRAGMA], "no-cache");
        let (status, media, body) = parts(r).await;
        assert_eq!((status, media.as_str()), (403, "application/json"));
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"error": "invalid_grant", "extra": 1})
        );
    }
}
