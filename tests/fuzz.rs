//! Property tests: the case loader never panics, whatever bytes or JSON it is fed.

use authconform::{
    case::load_case,
    locate::locate,
    schema::{FormatSchema, Schemas},
    source::{BuiltIn, Source},
};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Compiled once: each property runs hundreds of times.
fn loader() -> &'static (FormatSchema, Schemas) {
    static LOADER: std::sync::OnceLock<(FormatSchema, Schemas)> = std::sync::OnceLock::new();
    LOADER.get_or_init(|| {
        let mut problems = Vec::new();
        let schemas = Schemas::load(&Source::BuiltIn(BuiltIn::Schemas), &mut problems);
        (FormatSchema::case(), schemas)
    })
}

/// JSON built from the case format's own words, so that the fuzzer gets past the first keys.
fn json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "title",
        "documents",
        "status",
        "error",
        "description",
        "request",
        "method",
        "path",
        "query",
        "headers",
        "form",
        "json",
        "body",
        "basic_auth",
        "username",
        "password",
        "expect",
        "advise",
        "media_type",
        "schema",
        "repeat",
        "max",
        "/error",
        "/error_description",
        "oauth-error.schema.json",
        "case.schema.json",
        "{{client_id}}",
        "{{",
        "}}",
        "~",
        "GET",
        "POST",
        "/oauth/token",
        "type",
        "pattern",
        "$ref",
        "#/x",
        "",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        words.clone().prop_map(|w| Value::String(w.to_owned())),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..8).prop_map(|members| Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let (case_schema, schemas) = loader();
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_case("f/c", "c.json", &text, case_schema, schemas);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        let (case_schema, schemas) = loader();
        for text in [value.to_string(), serde_json::to_string_pretty(&value).unwrap()] {
            if let Err(problems) = load_case("f/c", "c.json", &text, case_schema, schemas) {
                prop_assert!(!problems.is_empty());
            }
        }
    }

    #[test]
    fn locate_never_panics(text in ".{0,200}", pointer in "(/[a-z0-9~]{0,4}){0,4}") {
        let _ = locate(&text, &pointer);
    }
}
