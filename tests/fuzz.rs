//! Property tests: the case loader never panics, whatever bytes or JSON it is fed, and the case
//! format's two definitions (the schema and the Rust model) agree.

use authconform::{
    base::locate::locate,
    base::schema::{FormatSchema, Schemas},
    base::source::{BuiltIn, Source},
    catalogue::case::{Conventions, load_case},
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
        let _ = load_case("f/c", "c.json", &text, Some(case_schema), schemas, &Conventions::default());
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        let (case_schema, schemas) = loader();
        for text in [value.to_string(), serde_json::to_string_pretty(&value).unwrap()] {
            if let Err(problems) = load_case("f/c", "c.json", &text, Some(case_schema), schemas, &Conventions::default()) {
                prop_assert!(!problems.is_empty());
            }
        }
    }

    #[test]
    fn locate_never_panics(text in ".{0,200}", pointer in "(/[a-z0-9~]{0,4}){0,4}") {
        let _ = locate(&text, &pointer);
    }
}

/// An `expect` or `advise` object.
fn expectations() -> impl Strategy<Value = Value> {
    let text = prop_oneof![Just("x".to_owned()), "[a-z {}/]{1,12}"];
    let matcher = prop_oneof![
        text.prop_map(Value::String),
        Just(serde_json::json!({"type": "string"})),
        Just(serde_json::json!({"pattern": "^x"})),
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
    ];
    (
        prop::option::of(prop_oneof![
            (100u16..600).prop_map(Value::from),
            prop::collection::vec(100u16..600, 1..3).prop_map(Value::from),
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            Just(Value::from("application/json"))
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            Just(Value::from("oauth-error.schema.json"))
        ]),
        prop::collection::btree_map("/[a-z_]{1,8}", matcher.clone(), 0..3),
        prop::collection::btree_map("[a-z-]{1,8}", matcher, 0..3),
    )
        .prop_map(|(status, media, schema, body, headers)| {
            let mut e = Map::new();
            for (k, v) in [
                ("status", status),
                ("media_type", media),
                ("schema", schema),
            ] {
                if let Some(v) = v {
                    e.insert(k.into(), v);
                }
            }
            if !body.is_empty() {
                e.insert("body".into(), Value::Object(body.into_iter().collect()));
            }
            if !headers.is_empty() {
                e.insert(
                    "headers".into(),
                    Value::Object(headers.into_iter().collect()),
                );
            }
            Value::Object(e)
        })
}

/// A `request` object, with at most one body.
fn request() -> impl Strategy<Value = Value> {
    let text = prop_oneof![Just("x".to_owned()), "[a-z {}/]{1,12}"];
    let string_map = prop::collection::btree_map("[a-z_]{1,8}", text, 0..3)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        prop::sample::select(vec!["/oauth/token", "/x/{{client_id}}", "{{disabled_endpoint}}"]),
        prop::option::of(string_map.clone()),
        prop::option::of(string_map.clone()),
        0u8..4,
        string_map,
        any::<bool>(),
    )
        .prop_map(|(method, path, query, headers, body, form, basic)| {
            let mut r = Map::new();
            r.insert("method".into(), method.into());
            r.insert("path".into(), path.into());
            if let Some(q) = query {
                r.insert("query".into(), q);
            }
            if let Some(h) = headers {
                r.insert("headers".into(), h);
            }
            match body {
                1 => r.insert("form".into(), form),
                2 => r.insert("json".into(), serde_json::json!({"scope": 1, "id": "{{client_id}}"})),
                3 => r.insert("body".into(), "raw".into()),
                _ => None,
            };
            if basic {
                r.insert(
                    "basic_auth".into(),
                    serde_json::json!({"username": "{{client_id}}", "password": "{{client_secret}}"}),
                );
            }
            Value::Object(r)
        })
}

/// A valid case file, built from the format's parts, so that the fuzzer reaches what comes
/// after schema validation (planning the checks, compiling inline schemas, templates).
fn valid_case() -> impl Strategy<Value = Value> {
    let text = prop_oneof![Just("x".to_owned()), "[a-z {}/]{1,12}"];
    (
        "[A-Za-z ]{1,20}",
        (
            100u16..600,
            prop::option::of("[a-z_]{1,12}"),
            prop::option::of(text),
        ),
        request(),
        prop::option::of(expectations()),
        prop::option::of(expectations()),
        prop::option::of(1u32..50),
        prop::collection::vec(Just("https://auth0.com/docs"), 0..2),
        prop::collection::vec("[a-z]{1,6}", 0..2),
    )
        .prop_map(
            |(title, (status, error, description), request, expect, advise, repeat, refs, tags)| {
                let mut documents = Map::new();
                documents.insert("status".into(), status.into());
                if let Some(e) = error {
                    documents.insert("error".into(), e.into());
                }
                if let Some(d) = description {
                    documents.insert("description".into(), d.into());
                }
                let mut c = Map::new();
                c.insert("title".into(), title.into());
                c.insert("documents".into(), Value::Object(documents));
                c.insert("request".into(), request);
                for (k, v) in [("expect", expect), ("advise", advise)] {
                    if let Some(v) = v {
                        c.insert(k.into(), v);
                    }
                }
                if let Some(max) = repeat {
                    c.insert("repeat".into(), serde_json::json!({ "max": max }));
                }
                c.insert("refs".into(), refs.into());
                c.insert("tags".into(), tags.into());
                Value::Object(c)
            },
        )
}

/// One structural change to a case file: a key taken away, an unknown key added, or a value
/// of another JSON type, at any object of it.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    Remove(prop::sample::Index, prop::sample::Index),
    Add(prop::sample::Index, String),
    Retype(prop::sample::Index, prop::sample::Index, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::None),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(o, k)| Mutation::Remove(o, k)),
        (any::<prop::sample::Index>(), "[a-z]{1,6}").prop_map(|(o, k)| Mutation::Add(o, k)),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            prop_oneof![
                Just(Value::Null),
                Just(Value::from(true)),
                Just(Value::from(7)),
                Just(Value::from("s")),
                Just(serde_json::json!([])),
                Just(serde_json::json!({})),
            ]
        )
            .prop_map(|(o, k, v)| Mutation::Retype(o, k, v)),
    ]
}

/// The JSON pointers of every object in `value`, the root first.
fn objects(value: &Value, at: String, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            found.push(at.clone());
            for (k, v) in members {
                objects(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    found,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                objects(v, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn mutate(mut value: Value, m: &Mutation) -> Value {
    let mut found = Vec::new();
    objects(&value, String::new(), &mut found);
    let object = |i: &prop::sample::Index| i.get(&found).clone();
    match m {
        Mutation::None => {}
        Mutation::Remove(o, k) => {
            let at = object(o);
            if let Some(Value::Object(members)) = value.pointer_mut(&at)
                && !members.is_empty()
            {
                let key = k.get(&members.keys().cloned().collect::<Vec<_>>()).clone();
                members.remove(&key);
            }
        }
        Mutation::Add(o, key) => {
            let at = object(o);
            if let Some(Value::Object(members)) = value.pointer_mut(&at) {
                members.insert(format!("zz_{key}"), Value::from(1));
            }
        }
        Mutation::Retype(o, k, new) => {
            let at = object(o);
            if let Some(Value::Object(members)) = value.pointer_mut(&at)
                && !members.is_empty()
            {
                let key = k.get(&members.keys().cloned().collect::<Vec<_>>()).clone();
                members.insert(key, new.clone());
            }
        }
    }
    value
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    /// The case format is written twice, as `schemas/case.schema.json` and as the Rust model;
    /// the loader checks the schema first. Whatever the schema accepts, the model must accept
    /// too (else the model's refusal, a worse message, is what a user would meet), and so
    /// whatever the model refuses, the schema refuses. The schema is stricter on purpose where
    /// the model cannot say it (patterns, ranges, one body at most).
    #[test]
    fn the_schema_refuses_whatever_the_model_refuses(base in valid_case(), m in mutation()) {
        let (case_schema, schemas) = loader();
        let value = mutate(base, &m);
        let schema_ok = case_schema.problems("c.json", &value).is_empty();
        if schema_ok {
            prop_assert_eq!(
                authconform::catalogue::case::model_accepts(&value),
                Ok(()),
                "the schema accepts what the model refuses: {}",
                value
            );
        }
        // Past the schema, the rest of the loader runs too; it must never panic.
        let text = serde_json::to_string_pretty(&value).unwrap();
        let _ = load_case("f/c", "c.json", &text, Some(case_schema), schemas, &Conventions::default());
    }
}

/// The generator reaches past the schema: most unmutated cases are valid, so the fuzzer
/// exercises the loader's later stages.
#[test]
fn most_generated_cases_pass_the_schema() {
    use proptest::strategy::ValueTree;
    let (case_schema, _) = loader();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = valid_case();
    let valid = (0..200)
        .filter(|_| {
            let value = strategy.new_tree(&mut runner).unwrap().current();
            case_schema.problems("c.json", &value).is_empty()
        })
        .count();
    assert!(
        valid >= 150,
        "only {valid} of 200 generated cases pass the schema"
    );
}
