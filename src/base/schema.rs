//! JSON Schemas: every file of the schemas folder registered in one registry (so that `$ref`
//! between files works) and compiled once, before the first request; plus the built-in
//! `case.schema.json` that every case file is checked against, with messages that say what to fix.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use jsonschema::{Registry, ValidationError, Validator};
use serde_json::Value;

use crate::{
    base::error::Problem,
    base::source::{BuiltIn, Source},
};

/// The base URI under which schema files are registered. `.invalid` can never resolve, so no
/// reference ever reaches the network (and `offline()` forbids it anyway).
pub const BASE: &str = "https://authconform.invalid/schemas/";

/// The file every case is validated against. It describes this program's case format, so it is
/// always the built-in one, whatever `--schemas` says.
pub const CASE_SCHEMA: &str = "case.schema.json";

/// An inline schema and its validator, shared by every matcher that says the same.
pub type Inline = (Arc<Value>, Arc<Validator>);

/// The compiled schemas of one schemas folder.
pub struct Schemas {
    registry: Registry<'static>,
    /// The compiled schemas by name. Those of a folder the user gave are compiled when loaded,
    /// so that every broken one is reported at once; the built-in ones (proven by the tests)
    /// when a case first asks for one, since a run needs two or three of them.
    validators: Mutex<BTreeMap<String, Arc<Validator>>>,
    /// The built-in schemas not compiled yet, by name (shared with the registry, not copied).
    pending: BTreeMap<String, Arc<Value>>,
    source: String,
    /// Inline matchers compiled so far, by their text: ten thousand cases that all say
    /// `{"pattern": "POST"}` share one validator (and one copy of the schema) instead of
    /// compiling ten thousand.
    inline: Mutex<std::collections::HashMap<String, Inline>>,
}

impl Schemas {
    /// Parses, registers and compiles every schema of `source`. Problems are collected; the
    /// schemas that did compile are still available so that case files can be checked too.
    pub fn load(source: &Source, problems: &mut Vec<Problem>) -> Schemas {
        let mut docs = Vec::new();
        for file in source.files(problems) {
            match serde_json::from_str::<Value>(&file.text) {
                Ok(doc) => docs.push((file.rel, file.display, doc)),
                Err(e) => problems.push(json_problem(&file.display, &e)),
            }
        }
        let built_in = matches!(source, Source::BuiltIn(_));
        // The built-in schemas are proven whole by the tests (each compiles).
        if !built_in {
            exclude_dangling_refs(&mut docs, problems);
        }
        let docs: Vec<(String, String, Arc<Value>)> = docs
            .into_iter()
            .map(|(rel, display, doc)| (rel, display, Arc::new(doc)))
            .collect();
        let registry = match Registry::new()
            .extend(
                docs.iter()
                    .map(|(rel, _, doc)| (format!("{BASE}{rel}"), doc.clone())),
            )
            .and_then(|builder| builder.prepare())
        {
            Ok(registry) => registry,
            Err(e) => {
                problems.push(Problem::new(
                    &source.describe(),
                    "",
                    format!("cannot register the schemas: {e}"),
                ));
                Registry::new()
                    .prepare()
                    .expect("an empty registry always prepares")
            }
        };
        let mut schemas = Schemas {
            registry,
            validators: Mutex::default(),
            pending: BTreeMap::new(),
            source: source.describe(),
            inline: Default::default(),
        };
        if built_in {
            schemas.pending = docs.into_iter().map(|(rel, _, doc)| (rel, doc)).collect();
            return schemas;
        }
        let mut compiled = BTreeMap::new();
        for (rel, display, doc) in &docs {
            match schemas.build(doc, &format!("{BASE}{rel}")) {
                Ok(validator) => {
                    compiled.insert(rel.clone(), Arc::new(validator));
                }
                Err(e) => problems.push(Problem::new(
                    display,
                    e.instance_path().as_str(),
                    format!("not a valid JSON Schema: {}", not_compiled(&e)),
                )),
            }
        }
        schemas.validators = Mutex::new(compiled);
        schemas
    }

    /// The compiled schema named `name` (a path below the schemas folder).
    pub fn get(&self, name: &str) -> Option<Arc<Validator>> {
        let mut validators = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = validators.get(name) {
            return Some(found.clone());
        }
        let doc = self.pending.get(name)?;
        let validator = Arc::new(
            self.build(doc, &format!("{BASE}{name}"))
                .expect("a built-in schema compiles (a unit test holds it)"),
        );
        validators.insert(name.to_owned(), validator.clone());
        Some(validator)
    }

    /// The folder the schemas came from, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Compiles a schema written inside a case (a matcher); `$ref`s resolve against the schemas
    /// folder, so a matcher may say `{"$ref": "oauth-error.schema.json"}`.
    pub fn compile_inline(&self, schema: &Value) -> Result<Arc<Validator>, String> {
        self.compile_shared(schema).map(|(_, validator)| validator)
    }

    /// [`Schemas::compile_inline`], with the schema itself as every case that says the same
    /// shares it.
    pub fn compile_shared(&self, schema: &Value) -> Result<Inline, String> {
        let key = schema.to_string();
        let mut cache = self.inline.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(&key) {
            return Ok(found.clone());
        }
        let compiled = self
            .build(schema, &format!("{BASE}inline.json"))
            .map(Arc::new)
            .map_err(|e| {
                let at = e.instance_path().as_str();
                if at.is_empty() {
                    not_compiled(&e)
                } else {
                    format!("{at}: {}", not_compiled(&e))
                }
            })?;
        let shared = (Arc::new(schema.clone()), compiled);
        cache.insert(key, shared.clone());
        Ok(shared)
    }

    fn build(&self, schema: &Value, base: &str) -> Result<Validator, ValidationError<'static>> {
        jsonschema::options()
            .with_registry(&self.registry)
            .with_base_uri(base)
            .should_validate_formats(true)
            .offline()
            .build(schema)
    }
}

/// Why a schema does not compile. A pattern the regex engine cannot compile is only "not a
/// regex" to the library, which keeps the engine's reason: the likely ones are said.
fn not_compiled(e: &ValidationError<'_>) -> String {
    match e.kind() {
        jsonschema::error::ValidationErrorKind::Format { format } if format == "regex" => format!(
            "{e}: the regex engine cannot compile it (its syntax is not ECMA-262's, or it is too large once compiled, as a repetition such as `.{{0,400000}}` is)"
        ),
        _ => e.to_string(),
    }
}

/// Removes (and reports) schemas whose `$ref`s point at files that are not in the folder, and
/// then those that depend on them, so that one broken file does not stop the registry from
/// serving the others, and the problem names the file and the pointer of the `$ref`.
fn exclude_dangling_refs(docs: &mut Vec<(String, String, Value)>, problems: &mut Vec<Problem>) {
    loop {
        let present: Vec<String> = docs
            .iter()
            .map(|(rel, _, _)| format!("{BASE}{rel}"))
            .collect();
        let mut dangling = None;
        'docs: for (i, (rel, display, doc)) in docs.iter().enumerate() {
            let Ok(base) = url::Url::parse(&format!("{BASE}{rel}")) else {
                continue;
            };
            let mut refs = Vec::new();
            refs_of(doc, String::new(), &mut refs);
            for (pointer, reference) in refs {
                let Ok(mut target) = base.join(&reference) else {
                    continue;
                };
                target.set_fragment(None);
                let target = target.to_string();
                if target.starts_with(BASE) && !present.contains(&target) {
                    let name = &target[BASE.len()..];
                    dangling = Some((
                        i,
                        Problem::new(
                            display,
                            pointer,
                            format!(
                                "`$ref` {reference:?} points at {name}, which is not in the schemas folder"
                            ),
                        ),
                    ));
                    break 'docs;
                }
            }
        }
        match dangling {
            Some((i, problem)) => {
                problems.push(problem);
                docs.remove(i);
            }
            None => return,
        }
    }
}

fn refs_of(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) => {
            for (k, v) in members {
                let here = format!("{pointer}/{}", escape_pointer(k));
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) if !r.starts_with('#') => {
                        out.push((here, r.clone()))
                    }
                    // Example and constant values are data, not schemas.
                    ("examples" | "const" | "enum" | "default", _) => {}
                    _ => refs_of(v, here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs_of(item, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A problem for a file that is not valid JSON, with serde_json's line and column.
pub fn json_problem(file: &str, e: &serde_json::Error) -> Problem {
    let message = e.to_string();
    // serde_json appends " at line L column C"; the position is shown in front instead.
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    Problem {
        file: file.to_owned(),
        position: Some((e.line(), e.column())),
        pointer: String::new(),
        message: format!("not valid JSON: {message}"),
    }
}

/// A schema of one of this program's own file formats (`case.schema.json`,
/// `deviations.schema.json`), compiled, with the document kept to turn raw schema errors into
/// messages that say what to fix.
pub struct FormatSchema {
    doc: Value,
    validator: Validator,
}

impl FormatSchema {
    /// The built-in case schema. It is part of the program, so failing to compile it is a bug
    /// that the unit tests catch.
    pub fn case() -> FormatSchema {
        FormatSchema::named(CASE_SCHEMA)
    }

    /// Another built-in schema of one of this program's own formats (the deviations file).
    pub fn named(name: &str) -> FormatSchema {
        let mut ignored = Vec::new();
        let file = Source::BuiltIn(BuiltIn::Schemas)
            .list(&mut ignored)
            .into_iter()
            .find(|f| f.rel == name)
            .unwrap_or_else(|| panic!("{name} is built in"));
        let text = file
            .read(&mut Vec::new())
            .map(str::to_owned)
            .expect("a built-in schema is text");
        let doc: Value = serde_json::from_str(&text).expect("a built-in schema is JSON");
        let validator = jsonschema::options()
            .with_base_uri(format!("{BASE}{name}"))
            .offline()
            .build(&doc)
            .expect("a built-in schema compiles");
        FormatSchema { doc, validator }
    }

    /// Every way `instance` breaks the case format, one problem each.
    pub fn problems(&self, file: &str, instance: &Value) -> Vec<Problem> {
        // Most files are valid, and saying so is much quicker than listing no errors.
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        let mut problems: Vec<Problem> = self
            .validator
            .iter_errors(instance)
            .map(|e| self.explain(file, &e))
            .collect();
        problems.dedup();
        problems
    }

    /// The member names of `object` that break the `propertyNames` keyword at `keyword_at`,
    /// quoted: the error itself names only the object that holds them.
    fn bad_names(&self, keyword_at: &str, object: &Value) -> Option<String> {
        let at = keyword_at.strip_suffix("/pattern").unwrap_or(keyword_at);
        if !at.ends_with("/propertyNames") {
            return None;
        }
        let names = jsonschema::validator_for(self.doc.pointer(at)?).ok()?;
        let bad: Vec<String> = object
            .as_object()?
            .keys()
            .filter(|k| !names.is_valid(&Value::String((*k).clone())))
            .map(|k| format!("`{k}`"))
            .collect();
        (!bad.is_empty()).then(|| bad.join(", "))
    }

    fn explain(&self, file: &str, e: &ValidationError<'_>) -> Problem {
        let pointer = e.instance_path().as_str().to_owned();
        let keyword_at = keyword_location(e);
        let parent = keyword_at.rsplit_once('/').map_or("", |(p, _)| p);
        let parent_node = self.doc.pointer(parent);
        // Some keywords (`propertyNames`) report their own location, others their subschema's.
        let declared = [self.doc.pointer(&keyword_at), parent_node]
            .into_iter()
            .flatten()
            .find_map(|n| n.get("errorMessage").and_then(Value::as_str));
        if let Some(message) = declared {
            if let Some(keys) = self.bad_names(&keyword_at, e.instance()) {
                return Problem::new(file, pointer, format!("{keys}: {message}"));
            }
            return Problem::new(file, pointer, message);
        }
        match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known: Vec<&str> = parent_node
                    .and_then(|n| n.get("properties"))
                    .and_then(Value::as_object)
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let key = unexpected.first().map(String::as_str).unwrap_or_default();
                let mut message = format!("unknown key `{key}`");
                if let Some(close) = closest(key, &known) {
                    message.push_str(&format!("; did you mean `{close}`?"));
                }
                if !known.is_empty() {
                    message.push_str(&format!(" (allowed here: {})", known.join(", ")));
                }
                Problem::new(file, format!("{pointer}/{}", escape_pointer(key)), message)
            }
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                Problem::new(file, pointer, format!("missing required key `{name}`"))
            }
            _ => Problem::new(file, pointer, e.to_string()),
        }
    }
}

/// Where the failing keyword is, as a JSON pointer into the schema document.
fn keyword_location(e: &ValidationError<'_>) -> String {
    e.absolute_keyword_location()
        .and_then(|uri| uri.fragment().map(|f| f.as_str().to_owned()))
        .map(|f| percent_decode(&f))
        .unwrap_or_else(|| e.schema_path().as_str().to_owned())
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Where serde stopped, as a JSON pointer (`/deviations/0/check`, not serde's `[0]`).
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => format!("/{index}"),
            Segment::Map { key } => format!("/{}", escape_pointer(key)),
            Segment::Enum { variant } => format!("/{}", escape_pointer(variant)),
            Segment::Unknown => String::new(),
        })
        .collect()
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The allowed key closest to a misspelt one, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        // A length apart by more than the distance allowed cannot be close: skip the count.
        .filter(|k| key.len().abs_diff(k.len()) <= 2.max(k.len() / 4))
        .map(|k| (strsim::levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

/// Describes one schema violation of a response: (instance path, keyword, message). Long
/// messages are cut, since they quote the offending value.
pub fn describe(e: &ValidationError<'_>) -> (String, String, String) {
    let message = shorten(&e.to_string(), &e.instance().to_string());
    (
        e.instance_path().as_str().to_owned(),
        e.kind().keyword().to_owned(),
        message,
    )
}

/// A validator's message made short without losing its explanation: the offending value it
/// quotes is what grows, so that is cut (to its start), never the words after it that say what
/// is wrong; a message long for another reason keeps its head and its tail.
pub fn shorten(message: &str, instance: &str) -> String {
    const MAX: usize = 300;
    const VALUE: usize = 80;
    if message.len() <= MAX {
        return message.to_owned();
    }
    let cut_at = |text: &str, at: usize| {
        (0..=at.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0)
    };
    let quoted = |text: &str| {
        if text.len() <= VALUE {
            text.to_owned()
        } else {
            format!("{}…", &text[..cut_at(text, VALUE)])
        }
    };
    let message = match message.find(instance).filter(|_| instance.len() > VALUE) {
        Some(at) => format!(
            "{}{}{}",
            &message[..at],
            quoted(instance),
            &message[at + instance.len()..]
        ),
        None => message.to_owned(),
    };
    if message.len() <= MAX {
        return message;
    }
    let head = cut_at(&message, MAX / 2);
    let tail = (message.len() - MAX / 2..message.len())
        .find(|&i| message.is_char_boundary(i))
        .unwrap_or(message.len());
    format!("{}…{}", &message[..head], &message[tail..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_long_message_keeps_its_explanation() {
        let long = "x".repeat(2000);
        let instance = format!("\"{long}\"");
        let message = format!("{instance} is longer than 64 characters");
        let short = shorten(&message, &instance);
        assert!(short.ends_with("… is longer than 64 characters"), "{short}");
        assert!(short.len() < 200, "{}", short.len());
        // A message long for another reason keeps its head and tail.
        let other = format!("{} is not one of the values {}", "1", "y".repeat(1000));
        let short = shorten(&other, "1");
        assert!(short.starts_with("1 is not one of"), "{short}");
        assert!(short.len() <= 304, "{}", short.len());
        assert_eq!(shorten("short", "s"), "short");
    }

    #[test]
    fn a_real_validation_error_is_shortened_after_its_value() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let validator = jsonschema::validator_for(&schema).unwrap();
        let body = json!({"a": {"long": "z".repeat(1000)}});
        let e = validator.iter_errors(&body).next().unwrap();
        let (at, keyword, message) = describe(&e);
        assert_eq!((at.as_str(), keyword.as_str()), ("/a", "type"));
        assert!(message.ends_with("is not of type \"string\""), "{message}");
    }

    #[test]
    fn builtin_schemas_all_compile() {
        // Loading skips the dangling-`$ref` check for the built-in folder: each of its files
        // must compile here, every `$ref` resolved.
        let mut problems = Vec::new();
        let source = Source::BuiltIn(BuiltIn::Schemas);
        let schemas = Schemas::load(&source, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<String> = source
            .list(&mut problems)
            .into_iter()
            .map(|f| f.rel)
            .collect();
        assert!(names.len() >= 7, "{names:?}");
        for name in names {
            assert!(schemas.get(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn oauth_error_schema_accepts_its_examples_and_rejects_bad_codes() {
        let mut problems = Vec::new();
        let schemas = Schemas::load(&Source::BuiltIn(BuiltIn::Schemas), &mut problems);
        let v = schemas.get("oauth-error.schema.json").unwrap();
        assert!(v.is_valid(
            &json!({"error": "invalid_request", "error_description": "x", "statusCode": 400})
        ));
        assert!(!v.is_valid(&json!({"error": "bad\"quote"})));
        assert!(!v.is_valid(&json!({"error_description": "no code"})));
        assert!(!v.is_valid(&json!({"error": "x", "error_description": 5})));
        assert!(!v.is_valid(&json!(["error"])));
    }

    #[test]
    fn every_builtin_schema_has_a_description_and_valid_examples() {
        let mut problems = Vec::new();
        let source = Source::BuiltIn(BuiltIn::Schemas);
        let schemas = Schemas::load(&source, &mut problems);
        for file in source.files(&mut problems) {
            let doc: Value = serde_json::from_str(&file.text).unwrap();
            assert!(
                doc["description"].is_string(),
                "{} has no description",
                file.rel
            );
            let examples = doc["examples"]
                .as_array()
                .unwrap_or_else(|| panic!("{} has no examples", file.rel));
            let validator = schemas.get(&file.rel).unwrap();
            for example in examples {
                let errors: Vec<String> = validator
                    .iter_errors(example)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{}: an example is invalid: {errors:?}",
                    file.rel
                );
            }
        }
    }

    #[test]
    fn inline_matchers_can_ref_schema_files() {
        let mut problems = Vec::new();
        let schemas = Schemas::load(&Source::BuiltIn(BuiltIn::Schemas), &mut problems);
        let v = schemas
            .compile_inline(&json!({"$ref": "oauth-error.schema.json"}))
            .unwrap();
        assert!(v.is_valid(&json!({"error": "x"})));
        assert!(!v.is_valid(&json!({})));
        let err = schemas
            .compile_inline(&json!({"$ref": "missing.schema.json"}))
            .unwrap_err();
        assert!(err.contains("missing.schema.json"), "{err}");
        let err = schemas
            .compile_inline(&json!({"type": "strin"}))
            .unwrap_err();
        assert!(err.contains("/type"), "{err}");
    }

    /// A pattern the regex engine cannot compile says why it might not.
    #[test]
    fn a_pattern_the_engine_cannot_compile_says_why() {
        let schemas = Schemas::load(&Source::BuiltIn(BuiltIn::Schemas), &mut Vec::new());
        assert_eq!(
            schemas
                .compile_inline(&json!({"pattern": "(a"}))
                .unwrap_err(),
            "/pattern: \"(a\" is not a \"regex\": the regex engine cannot compile it (its syntax is not ECMA-262's, or it is too large once compiled, as a repetition such as `.{0,400000}` is)"
        );
    }

    #[test]
    fn a_broken_schema_folder_names_each_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad-json.json"), "{ nope").unwrap();
        std::fs::write(dir.path().join("bad-schema.json"), r#"{"type": "strin"}"#).unwrap();
        std::fs::write(dir.path().join("bad-ref.json"), r#"{"$ref": "gone.json"}"#).unwrap();
        std::fs::write(dir.path().join("good.json"), r#"{"type": "object"}"#).unwrap();
        let mut problems = Vec::new();
        let schemas = Schemas::load(&Source::Dir(dir.path().to_owned()), &mut problems);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{text:#?}");
        assert!(
            text[0].contains("bad-json.json:1:3: not valid JSON"),
            "{text:#?}"
        );
        assert!(text.iter().any(|t| t.contains("bad-ref.json: /$ref: `$ref` \"gone.json\" points at gone.json, which is not in the schemas folder")), "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("bad-schema.json: /type: not a valid JSON Schema")),
            "{text:#?}"
        );
        assert!(schemas.get("good.json").is_some());
    }

    fn case_problems(case: Value) -> Vec<String> {
        FormatSchema::case()
            .problems("c.json", &case)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn minimal() -> Value {
        json!({"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "/x"}})
    }

    #[test]
    fn case_schema_accepts_a_minimal_case() {
        assert_eq!(case_problems(minimal()), Vec::<String>::new());
    }

    #[test]
    fn case_schema_names_a_misspelt_key_with_a_suggestion() {
        let mut case = minimal();
        case["expect"] = json!({"statsu": 400});
        let p = case_problems(case);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(
                "c.json: /expect/statsu: unknown key `statsu`; did you mean `status`?"
            ),
            "{p:?}"
        );
        assert!(
            p[0].contains("allowed here: status, media_type, schema, body, headers"),
            "{p:?}"
        );
    }

    #[test]
    fn case_schema_reports_every_problem() {
        let case = json!({"documents": {"status": "400"}, "request": {"method": "get", "path": "x", "form": {}, "json": 1}});
        let p = case_problems(case);
        let all = p.join("\n");
        assert!(
            all.contains("c.json: missing required key `title`"),
            "{all}"
        );
        assert!(
            all.contains("c.json: /documents/status: \"400\" is not of type \"integer\""),
            "{all}"
        );
        assert!(all.contains("c.json: /request/method:"), "{all}");
        assert!(all.contains("c.json: /request/path:"), "{all}");
        assert!(
            all.contains("c.json: /request: a request has at most one body"),
            "{all}"
        );
    }

    #[test]
    fn case_schema_uses_the_error_messages_it_declares() {
        let mut case = minimal();
        case["expect"] =
            json!({"status": "401", "body": {"error": "x", "/a": [1]}, "headers": {"x": 5}});
        let all = case_problems(case).join("\n");
        assert!(
            all.contains("/expect/status: `status` must be an integer"),
            "{all}"
        );
        assert!(
            all.contains("/expect/body: `error`: body matcher keys are JSON pointers"),
            "{all}"
        );
        assert!(
            all.contains("/expect/body/~1a: a body matcher is a string"),
            "{all}"
        );
        assert!(
            all.contains("/expect/headers/x: a header matcher is a string"),
            "{all}"
        );
    }

    #[test]
    fn closest_finds_typos() {
        assert_eq!(closest("statsu", &["status", "schema"]), Some("status"));
        assert_eq!(closest("zzz", &["status", "schema"]), None);
    }
}
