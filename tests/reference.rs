use authconform::reference::{AUDIENCE, CLIENT_ID, CLIENT_SECRET};

use crate::util::*;

fn post(url: &str, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.headers().clone(),
            r.text().await.unwrap(),
        )
    })
}

#[test]
fn a_correct_client_credentials_request_gets_a_real_token() {
    let server = server(None);
    let url = format!("{}/oauth/token", server.url);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("audience", AUDIENCE),
    ];
    let (status, headers, body) = post(&url, &form);
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let first = token["access_token"].as_str().unwrap().to_owned();
    assert!(first.len() > 20);
    let (_, _, again) = post(&url, &form);
    let second: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_ne!(
        second["access_token"].as_str().unwrap(),
        first,
        "each token is new"
    );
}
