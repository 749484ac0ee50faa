//! The case file: its serde model (strict: unknown keys are errors), loading and validation of a
//! whole cases folder, and the compiled [`Case`] with its checks, built from `documents` (the
//! default oracle), `expect` and `advise`.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub use crate::catalogue::seed::{Carrier, Conventions, Documents, Shape};
use crate::{
    base::error::{Error, Problem},
    base::schema::{self, FormatSchema, Schemas},
    base::source::{Listed, Profile, Source, SourceFile},
    base::template,
    catalogue::seed,
    catalogue::vars::{self, Variable},
    checks::challenge::UrlPart,
    checks::check::{Check, CheckId, HeaderMatcher, Matcher},
};

/// The request, as written (placeholders not yet filled in).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: IndexMap<String, String>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    pub basic_auth: Option<BasicAuth>,
    pub form: Option<IndexMap<String, String>>,
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    pub body: Option<String>,
    /// A DPoP proof (RFC 9449) to send with the request, made as it goes.
    pub dpop: Option<DpopSpec>,
}

/// What a DPoP proof carries beyond the request's method and URL.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopSpec {
    /// A nonce the server gave (`DPoP-Nonce`), as a template.
    pub nonce: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    title: String,
    documents: Documents,
    #[serde(default)]
    refs: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    request: RequestSpec,
    expect: Option<Expectations>,
    advise: Option<Expectations>,
    repeat: Option<Repeat>,
    #[serde(default)]
    alternatives: Vec<AlternativeFile>,
}

/// Another answer the specs allow instead of the documented error, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlternativeFile {
    name: String,
    why: String,
    #[serde(rename = "ref")]
    reference: String,
    expect: Expectations,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectations {
    status: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    media_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    schema: Option<Option<String>>,
    #[serde(default)]
    body: IndexMap<String, Value>,
    #[serde(default)]
    headers: IndexMap<String, Value>,
    #[serde(default)]
    location: LocationSpec,
    #[serde(default)]
    challenge: IndexMap<String, Option<IndexMap<String, Value>>>,
    /// The body as text: a string it equals, a JSON Schema for it, `null` for an empty body.
    #[serde(default, deserialize_with = "present")]
    text: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationSpec {
    #[serde(default)]
    query: IndexMap<String, Value>,
    #[serde(default)]
    fragment: IndexMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    max: u32,
}

/// Tells "key absent" (`None`, through `default`) from "key present, maybe null" (`Some`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A loaded, validated case, ready to plan.
pub struct Case {
    /// The path under the cases folder without `.json`, e.g. `token/get-method`.
    pub id: String,
    /// The folder part of the id (JUnit classname); `cases` for a file at the top.
    pub group: String,
    /// The file as shown to users.
    pub file: String,
    pub title: String,
    pub documents: Documents,
    pub refs: Vec<String>,
    pub tags: Vec<String>,
    pub request: RequestSpec,
    /// Checks whose violations fail the case.
    pub checks: Vec<Check>,
    /// Checks whose violations are warnings.
    pub advice: Vec<Check>,
    pub repeat: Option<u32>,
    /// Other answers the specs allow, tried in order when the documented one is not given.
    pub alternatives: Vec<Alternative>,
    /// Every variable the request refers to.
    pub variables: Sites,
    /// Those of them that are only ever optional (`{{name?}}`): the case is sent without them.
    pub optional: BTreeSet<String>,
    /// The case file's line for each check of `checks` and then of `advice` (where it is asked
    /// for, or implied; 0 when it cannot be found): a number each, not a map, since a catalogue
    /// may hold ten thousand cases.
    pub lines: Box<[u32]>,
}

impl Case {
    /// The case file's line of check `id` (its first occurrence, `expect` before `advise`).
    pub fn line_of(&self, id: &CheckId) -> Option<usize> {
        line_in(self.checks.iter().chain(&self.advice), &self.lines, id)
    }
}

/// An answer the specs allow instead of the documented error (a MAY, or a SHOULD the server
/// need not follow): a case passes on it, and every report says which branch and why.
pub struct Alternative {
    pub name: String,
    pub why: String,
    /// The section that allows it.
    pub reference: String,
    /// The branch's own checks (no default oracle).
    pub checks: Vec<Check>,
    /// The case file's line of each check (0 when it cannot be found).
    pub lines: Box<[u32]>,
}

impl Alternative {
    /// The case file's line of check `id` in this branch.
    pub fn line_of(&self, id: &CheckId) -> Option<usize> {
        line_in(self.checks.iter(), &self.lines, id)
    }
}

/// The line of the first of `checks` named `id`, from `lines` (one each, in order; 0: unknown).
fn line_in<'a>(
    checks: impl Iterator<Item = &'a Check>,
    lines: &[u32],
    id: &CheckId,
) -> Option<usize> {
    checks
        .zip(lines)
        .find(|(check, _)| check.id() == *id)
        .and_then(|(_, line)| (*line > 0).then_some(*line as usize))
}

/// The variables a request refers to, each with where it is first used, sorted by name: a
/// slice, since a map's first node alone takes some 800 bytes, in each of ten thousand cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sites(Box<[(String, Site)]>);

impl Sites {
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(name, _)| name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Site)> {
        self.0.iter().map(|(name, site)| (name, site))
    }

    pub fn values(&self) -> impl Iterator<Item = &Site> {
        self.0.iter().map(|(_, site)| site)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Site> {
        self.0.iter_mut().map(|(_, site)| site)
    }

    pub fn get(&self, name: &str) -> Option<&Site> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for Sites {
    type Output = Site;

    fn index(&self, name: &str) -> &Site {
        self.get(name).expect("the case uses this variable")
    }
}

/// Where a variable is first used in a case file, for messages about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub pointer: String,
    pub position: Option<(usize, usize)>,
}

/// What one slice of a cases folder loaded into.
#[derive(Default)]
struct Loaded {
    cases: Vec<Case>,
    /// Files that could not be read.
    unread: Vec<Problem>,
    /// How many files other than the variables file were read.
    case_files: usize,
    problems: Vec<Problem>,
    variables: Vec<Variable>,
}

/// Every case and schema, loaded and checked before anything is sent.
pub struct Catalogue {
    pub profile: Profile,
    pub cases: Vec<Case>,
    pub schemas: Arc<Schemas>,
    /// The variables the cases may use: the built-in catalogue's documented ones, and those a
    /// cases folder declares in its own `variables.json`.
    pub variables: Vec<Variable>,
}

impl Catalogue {
    /// Loads the schemas and then the cases, judged by `profile`'s seed table and variables;
    /// every problem found in either is returned at once.
    pub fn load(profile: Profile, cases: &Source, schemas: &Source) -> Result<Catalogue, Error> {
        let conventions = seed::table(profile).conventions();
        let mut problems = Vec::new();
        let schemas = Arc::new(Schemas::load(schemas, &mut problems));
        let listed = cases.list(&mut problems);
        let mut variables = vars::documented(profile);
        let mut slices = Loader {
            declares: !matches!(cases, Source::BuiltIn(_)),
            case_schema: std::sync::OnceLock::new(),
            schemas: &schemas,
            conventions: &conventions,
        }
        .load_all(&listed);
        drop(listed);
        // Problems in the order the files were read and then checked.
        for slice in &mut slices {
            problems.append(&mut slice.unread);
        }
        let no_cases = slices.iter().all(|s| s.case_files == 0);
        if no_cases && problems.is_empty() {
            problems.push(Problem::new(
                &cases.describe(),
                "",
                "no case files (*.json) found",
            ));
        }
        let mut loaded = merge(slices, &mut problems, &mut variables);
        id_collisions(&loaded, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Load(problems));
        }
        // Ids are unique by now, so an unstable sort orders them all the same, without the
        // stable sort's buffer of half the catalogue.
        loaded.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalogue {
            profile,
            cases: loaded,
            schemas,
            variables,
        })
    }
}

/// What every file of a cases folder is loaded with, shared by the loading threads.
struct Loader<'a> {
    /// Whether the folder's `variables.json` declares variables: the built-in catalogue's
    /// are documented already.
    declares: bool,
    /// Compiled only for a file that is not built in (the tests prove those valid).
    case_schema: std::sync::OnceLock<FormatSchema>,
    schemas: &'a Schemas,
    conventions: &'a Conventions,
}

impl Loader<'_> {
    /// Every listed file, loaded in slices in the files' order.
    ///
    /// Cases are independent: a large folder is read, parsed and compiled on every core (this
    /// thread too). Each thread takes the next chunk of files as it finishes one, so that a
    /// thread the system holds back does not hold the load back; the chunks are put back in
    /// order after, so that the merged result keeps the files' order.
    fn load_all(&self, listed: &[Listed]) -> Vec<Loaded> {
        const CHUNK: usize = 128;
        let threads = crate::base::parallel::threads_for(listed.len());
        crate::base::parallel::map_chunks(listed, CHUNK, threads, |chunk| self.load_slice(chunk))
    }

    /// One chunk of files, read one at a time into the same buffer, so that each file's text
    /// is dropped before the next is read.
    fn load_slice(&self, slice: &[Listed]) -> Loaded {
        let mut out = Loaded::default();
        out.cases.reserve_exact(slice.len());
        let mut buf = Vec::new();
        for file in slice {
            if crate::base::source::is_profile_data(&file.rel) {
                continue;
            }
            match file.read(&mut buf) {
                Ok(text) => {
                    if file.rel != vars::VARIABLES_FILE {
                        out.case_files += 1;
                    }
                    self.load_file(file, text, &mut out);
                }
                Err(message) => out.unread.push(Problem::new(&file.display(), "", message)),
            }
        }
        out
    }

    /// One file's text: the variables the folder declares, or a case.
    fn load_file(&self, file: &Listed, text: &str, out: &mut Loaded) {
        if file.rel == vars::VARIABLES_FILE && self.declares {
            let file = SourceFile {
                rel: file.rel.clone(),
                display: file.display(),
                text: text.to_owned(),
                built_in: file.built_in(),
            };
            match vars::variables(&file) {
                Ok(declared) => out.variables.extend(declared),
                Err(found) => out.problems.extend(found),
            }
            return;
        }
        let id = file.rel.strip_suffix(".json").unwrap_or(&file.rel);
        let display = file.display();
        // An id is printed as it is, at the head of terminal lines (`run --list`, `coverage`,
        // the progress line) and in JUnit names: it must be text that neutralising leaves
        // alone.
        if crate::base::redact::neutralise(id, false) != id {
            out.problems.push(Problem::new(
                &crate::base::redact::neutralise(&display, false),
                "",
                "the file name holds what a terminal or CI log acts on (a control, invisible or bidirectional character, a line separator, or a log command's mark: a leading `::`, or two `#` before a `[`); a case id must be plain printable text",
            ));
            return;
        }
        let checked = (!file.built_in()).then(|| self.case_schema.get_or_init(FormatSchema::case));
        match load_case(id, &display, text, checked, self.schemas, self.conventions) {
            Ok(case) => out.cases.push(case),
            Err(found) => out.problems.extend(found),
        }
    }
}

/// The slices' cases as one vector; their problems and declared variables go after those
/// found before.
fn merge(
    slices: Vec<Loaded>,
    problems: &mut Vec<Problem>,
    variables: &mut Vec<Variable>,
) -> Vec<Case> {
    // The first slice's cases grow in place to hold them all (a large buffer is remapped,
    // not copied), rather than all of them moved into a third.
    let total: usize = slices.iter().map(|s| s.cases.len()).sum();
    let mut loaded: Vec<Case> = Vec::new();
    for slice in slices {
        if loaded.capacity() == 0 {
            loaded = slice.cases;
            loaded.reserve_exact(total - loaded.len());
        } else {
            loaded.extend(slice.cases);
        }
        problems.extend(slice.problems);
        variables.extend(slice.variables);
    }
    loaded
}

/// A problem for each case whose id is another's, or differs from it only in letter case,
/// naming the first.
fn id_collisions(cases: &[Case], problems: &mut Vec<Problem>) {
    let mut seen: std::collections::HashMap<String, &Case> =
        std::collections::HashMap::with_capacity(cases.len());
    for case in cases {
        if let Some(first) = seen.insert(case.id.to_lowercase(), case) {
            if first.id == case.id {
                problems.push(Problem::new(
                    &case.file,
                    "",
                    format!(
                        "case id `{}` is also {}: ids must not collide (rename one, or give its folder a prefix)",
                        case.id, first.file
                    ),
                ));
                continue;
            }
            problems.push(Problem::new(
                &case.file,
                "",
                format!(
                    "case id `{}` differs from `{}` ({}) only in letter case; JUnit readers and case-insensitive file systems would merge them",
                    case.id, first.id, first.file
                ),
            ));
        }
    }
}

/// Loads one case file's text into a [`Case`], or every problem found in it, each with its line
/// and column where the text allows. `case_schema` checks the file first (None: a built-in
/// file, which the tests prove valid).
pub fn load_case(
    id: &str,
    file: &str,
    text: &str,
    case_schema: Option<&FormatSchema>,
    schemas: &Schemas,
    conventions: &Conventions,
) -> Result<Case, Vec<Problem>> {
    let mut problems = Vec::new();
    let case = parse_case(
        id,
        file,
        text,
        case_schema,
        schemas,
        conventions,
        &mut problems,
    );
    for problem in &mut problems {
        if problem.position.is_none() {
            problem.position = crate::base::locate::locate(text, &problem.pointer);
        }
    }
    match case {
        Some(case) if problems.is_empty() => Ok(case),
        _ => Err(problems),
    }
}

/// Whether the Rust model alone (serde, with `deny_unknown_fields`) takes `value` as a case
/// file, and where it stops if not. The loader checks `schemas/case.schema.json` first; this
/// is for the test that proves the schema refuses everything the model would.
pub fn model_accepts(value: &Value) -> Result<(), String> {
    serde_path_to_error::deserialize::<_, CaseFile>(value)
        .map(drop)
        .map_err(|e| format!("{}: {}", schema::pointer_of(e.path()), e.inner()))
}

/// The case file's text as the Rust model, or its problems: not JSON, refused by the case
/// schema, or (the backstop) by the model.
fn case_file(
    file: &str,
    text: &str,
    case_schema: Option<&FormatSchema>,
    problems: &mut Vec<Problem>,
) -> Option<CaseFile> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(schema::json_problem(file, &e));
            return None;
        }
    };
    let found = case_schema
        .map(|s| s.problems(file, &value))
        .unwrap_or_default();
    if !found.is_empty() {
        problems.extend(found);
        return None;
    }
    // The case schema should already have caught anything serde refuses; this is the backstop
    // that keeps the Rust model and the schema honest with each other.
    // From the value itself, so that its strings move into the model rather than be copied.
    match serde_path_to_error::deserialize(value) {
        Ok(c) => Some(c),
        Err(e) => {
            let pointer = schema::pointer_of(e.path());
            problems.push(Problem::new(file, pointer, e.inner().to_string()));
            None
        }
    }
}

fn parse_case(
    id: &str,
    file: &str,
    text: &str,
    case_schema: Option<&FormatSchema>,
    schemas: &Schemas,
    conventions: &Conventions,
    problems: &mut Vec<Problem>,
) -> Option<Case> {
    let parsed = case_file(file, text, case_schema, problems)?;
    let before = problems.len();
    let (variables, optional) = request_variables(file, &parsed.request, problems);
    let http_ok = http::Method::from_bytes(parsed.request.method.as_bytes()).is_ok();
    if !http_ok {
        problems.push(Problem::new(
            file,
            "/request/method",
            format!("{:?} is not an HTTP method", parsed.request.method),
        ));
    }
    let checks = oracle(
        file,
        "/expect",
        Some((&parsed.documents, conventions)),
        parsed.expect.as_ref(),
        schemas,
        problems,
    );
    let advice = oracle(
        file,
        "/advise",
        None,
        parsed.advise.as_ref(),
        schemas,
        problems,
    );
    let alternatives = alternatives(file, &parsed.alternatives, schemas, problems);
    if problems.len() > before {
        return None;
    }
    // Where each check is asked for, or implied by `documents`: annotations point there.
    let mut pointers = Vec::with_capacity(checks.len() + advice.len());
    for (at, spec, list) in [
        ("/expect", parsed.expect.as_ref(), &checks),
        ("/advise", parsed.advise.as_ref(), &advice),
    ] {
        for check in list {
            pointers.push(source_pointer(&check.id(), at, spec, &parsed.documents));
        }
    }
    for (i, (alt, given)) in alternatives.iter().zip(&parsed.alternatives).enumerate() {
        let at = format!("/alternatives/{i}/expect");
        for check in &alt.checks {
            pointers.push(source_pointer(
                &check.id(),
                &at,
                Some(&given.expect),
                &parsed.documents,
            ));
        }
    }
    let judged = pointers.len();
    // Each check's line and each variable's place, in one pass over the text.
    let pointers: Vec<&str> = pointers
        .iter()
        .map(String::as_str)
        .chain(variables.values().map(|s| s.pointer.as_str()))
        .collect();
    let mut found = crate::base::locate::locate_all(text, &pointers);
    let positions = found.split_off(judged);
    let mut variables = variables;
    for (site, position) in variables.values_mut().zip(positions) {
        site.position = position;
    }
    let mut lines: Vec<u32> = found
        .into_iter()
        .map(|found| found.map_or(0, |(line, _)| u32::try_from(line).unwrap_or(0)))
        .collect();
    let mut alternatives = alternatives;
    let mut rest = lines.split_off(checks.len() + advice.len());
    for alt in &mut alternatives {
        let tail = rest.split_off(alt.checks.len());
        alt.lines = std::mem::replace(&mut rest, tail).into_boxed_slice();
    }
    let (mut checks, mut advice) = (checks, advice);
    checks.shrink_to_fit();
    advice.shrink_to_fit();
    Some(Case {
        id: id.to_owned(),
        group: id
            .rsplit_once('/')
            .map_or("cases", |(group, _)| group)
            .to_owned(),
        file: file.to_owned(),
        title: parsed.title,
        documents: parsed.documents,
        refs: parsed.refs,
        tags: parsed.tags,
        request: parsed.request,
        checks,
        advice,
        repeat: parsed.repeat.map(|r| r.max),
        alternatives,
        variables,
        optional,
        lines: lines.into_boxed_slice(),
    })
}

/// Compiles a case's `alternatives`: each needs a unique name, a reason, and a `status` (so
/// that a branch says which answers it is about, and cannot pass any answer at all).
fn alternatives(
    file: &str,
    given: &[AlternativeFile],
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Alternative> {
    let mut names = BTreeSet::new();
    let mut compiled = Vec::with_capacity(given.len());
    for (i, alt) in given.iter().enumerate() {
        let at = format!("/alternatives/{i}");
        let valid_name = !alt.name.is_empty()
            && alt
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_name {
            problems.push(Problem::new(
                file,
                format!("{at}/name"),
                format!("{:?} is not a branch name (a-z, 0-9 and -)", alt.name),
            ));
        } else if !names.insert(alt.name.as_str()) {
            problems.push(Problem::new(
                file,
                format!("{at}/name"),
                format!("`{}` names another alternative of this case too", alt.name),
            ));
        }
        if alt.why.trim().is_empty() {
            problems.push(Problem::new(
                file,
                format!("{at}/why"),
                "say why the spec allows this branch",
            ));
        }
        if !alt.reference.starts_with("https://") && !alt.reference.starts_with("http://") {
            problems.push(Problem::new(
                file,
                format!("{at}/ref"),
                "the section that allows this branch, as an http(s) URL",
            ));
        }
        if alt.expect.status.is_none() {
            problems.push(Problem::new(
                file,
                format!("{at}/expect"),
                "an alternative needs a `status`: the answers it is about",
            ));
        }
        let checks = oracle(
            file,
            &format!("{at}/expect"),
            None,
            Some(&alt.expect),
            schemas,
            problems,
        );
        compiled.push(Alternative {
            name: alt.name.clone(),
            why: alt.why.clone(),
            reference: alt.reference.clone(),
            checks,
            lines: Box::default(),
        });
    }
    compiled
}

/// The pointer of the part of a case file that asks for check `id`: its entry in `expect` or
/// `advise` (at `at`), else the member of `documents` that implies it.
fn source_pointer(
    id: &CheckId,
    at: &str,
    spec: Option<&Expectations>,
    documents: &Documents,
) -> String {
    let esc = schema::escape_pointer;
    let given = |member: &str| format!("{at}/{member}");
    match (id, spec) {
        (CheckId::Status, Some(e)) if e.status.is_some() => given("status"),
        (CheckId::Status, _) => "/documents/status".into(),
        (CheckId::MediaType, Some(e)) if e.media_type.is_some() => given("media_type"),
        (CheckId::Schema(_), Some(e)) if e.schema.is_some() => given("schema"),
        (CheckId::Body(p), Some(e)) if e.body.contains_key(p) => given(&format!("body/{}", esc(p))),
        (CheckId::Body(p), _)
            if (p == "/error_description" || p == "/description")
                && documents.description.is_some() =>
        {
            "/documents/description".into()
        }
        (CheckId::Text, Some(e)) if e.text.is_some() => given("text"),
        (CheckId::Text, _) => "/documents/description".into(),
        (CheckId::Header(name), Some(e)) => e
            .headers
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .map_or_else(
                || given("headers"),
                |k| given(&format!("headers/{}", esc(k))),
            ),
        (CheckId::Location(part, param), Some(e)) if e.location.part(*part).contains_key(param) => {
            given(&format!("location/{}/{}", part.name(), esc(param)))
        }
        (CheckId::Challenge(scheme, param), Some(e)) => {
            match e.challenge.keys().find(|k| k.eq_ignore_ascii_case(scheme)) {
                Some(k) => match param {
                    Some(p) => given(&format!("challenge/{}/{}", esc(k), esc(p))),
                    None => given(&format!("challenge/{}", esc(k))),
                },
                None => "/documents/in".into(),
            }
        }
        (CheckId::Location(..) | CheckId::Challenge(..), None) => "/documents/in".into(),
        (CheckId::Header(name), None) if name == "location" => "/documents/in".into(),
        _ => "/documents/error".into(),
    }
}

/// Checks every placeholder of the request and returns the variables it needs.
fn request_variables(
    file: &str,
    request: &RequestSpec,
    problems: &mut Vec<Problem>,
) -> (Sites, BTreeSet<String>) {
    let mut strings: Vec<(String, &str)> = vec![
        ("/request/method".into(), &request.method),
        ("/request/path".into(), &request.path),
    ];
    let map = |name: &str, m: &IndexMap<String, String>| -> Vec<(String, String)> {
        m.keys()
            .map(|k| {
                (
                    format!("/request/{name}/{}", schema::escape_pointer(k)),
                    k.clone(),
                )
            })
            .collect()
    };
    let mut keyed: Vec<(String, String)> = map("query", &request.query);
    keyed.extend(map("headers", &request.headers));
    if let Some(form) = &request.form {
        keyed.extend(map("form", form));
    }
    for (pointer, key) in &keyed {
        let section = pointer.split('/').nth(2).unwrap_or_default();
        let value = match section {
            "query" => &request.query[key],
            "headers" => &request.headers[key],
            _ => &request.form.as_ref().expect("form exists")[key],
        };
        strings.push((pointer.clone(), value));
    }
    if let Some(auth) = &request.basic_auth {
        strings.push(("/request/basic_auth/username".into(), &auth.username));
        strings.push(("/request/basic_auth/password".into(), &auth.password));
    }
    if let Some(body) = &request.body {
        strings.push(("/request/body".into(), body));
    }
    if let Some(nonce) = request.dpop.as_ref().and_then(|d| d.nonce.as_ref()) {
        strings.push(("/request/dpop/nonce".into(), nonce));
    }
    let mut json_strings = Vec::new();
    if let Some(json) = &request.json {
        json_strings_of(json, "/request/json".into(), &mut json_strings);
    }
    strings.extend(json_strings.iter().map(|(p, s)| (p.clone(), *s)));

    let mut variables: Vec<(String, Site)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut optional = BTreeSet::new();
    let mut required = BTreeSet::new();
    // An item can be left out of a query, the headers, a form or a JSON object; a method, a
    // path, a raw body or a Basic credential cannot.
    let omissible = |pointer: &str| {
        [
            "/request/query/",
            "/request/headers/",
            "/request/form/",
            "/request/json/",
        ]
        .iter()
        .any(|p| pointer.starts_with(p))
    };
    for (pointer, text) in strings {
        match template::variables(text) {
            Ok(names) => {
                if let Some(name) = template::optional(text) {
                    if !omissible(&pointer) {
                        problems.push(Problem::new(
                            file,
                            pointer.clone(),
                            format!("`{{{{{name}?}}}}` is optional, and only a query, header, form or JSON member's value can be left out"),
                        ));
                    }
                    optional.insert(name.to_owned());
                } else {
                    required.extend(names.iter().map(|n| (*n).to_owned()));
                }
                for name in names {
                    // A set beside the list: a case of many variables stays one pass.
                    if seen.insert(name) {
                        variables.push((
                            name.to_owned(),
                            Site {
                                pointer: pointer.clone(),
                                position: None,
                            },
                        ));
                    }
                }
            }
            Err(message) => problems.push(Problem::new(file, pointer, message)),
        }
    }
    let optional = optional.difference(&required).cloned().collect();
    // Each name once, where it is first used: a stable sort keeps that order among equals.
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    (Sites(variables.into_boxed_slice()), optional)
}

fn json_strings_of<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((pointer, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_strings_of(item, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(members) => {
            for (k, v) in members {
                json_strings_of(v, format!("{pointer}/{}", schema::escape_pointer(k)), out);
            }
        }
        _ => {}
    }
}

/// Builds the checks of `expect` (with `documents`, read by the table's conventions, as the
/// default oracle) or of `advise` (`documents` = None: no defaults).
fn oracle(
    file: &str,
    at: &str,
    documented: Option<(&Documents, &Conventions)>,
    spec: Option<&Expectations>,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Check> {
    let empty = Expectations::default();
    let spec = spec.unwrap_or(&empty);
    let documents = documented.map(|(d, _)| d);
    let conventions = documented.map(|(_, c)| c);
    let carrier = documents.map(|d| d.carrier);
    let shape = documents.map(|d| d.shape).unwrap_or_default();
    // Only an error in a JSON body implies a JSON body.
    let documented_error = documents
        .filter(|d| d.carrier == Carrier::Body && d.shape != Shape::Text)
        .and_then(|d| d.error.as_deref());
    let mut checks = Vec::new();

    let status = match &spec.status {
        Some(Value::Number(n)) => n.as_u64().map(|s| vec![s as u16]),
        Some(Value::Array(items)) => items.iter().map(|i| i.as_u64().map(|s| s as u16)).collect(),
        Some(_) => None,
        // RFC 6749 §4.1.2.1 redirects with any redirection status; a page has none required.
        None => documents.and_then(|d| match d.carrier {
            Carrier::Query | Carrier::Fragment => Some(vec![302, 303, 307]),
            Carrier::Page => None,
            _ => Some(vec![d.status]),
        }),
    };
    match (&spec.status, status) {
        (_, Some(allowed)) => checks.push(Check::Status(allowed)),
        (Some(_), None) => problems.push(Problem::new(
            file,
            format!("{at}/status"),
            "not a status or a list of statuses",
        )),
        (None, None) => {}
    }

    let media_type = match &spec.media_type {
        Some(explicit) => explicit.clone(),
        None => documented_error.map(|_| "application/json".to_owned()),
    };
    if let Some(m) = media_type {
        checks.push(Check::MediaType(m.to_ascii_lowercase()));
    }

    let schema_name = match &spec.schema {
        Some(explicit) => explicit.clone(),
        None => documented_error.and(conventions).map(|c| match shape {
            Shape::Boom => BOOM_SCHEMA.to_owned(),
            _ => c.schema.clone(),
        }),
    };
    if let Some(name) = schema_name {
        match schemas.get(&name) {
            Some(validator) => checks.push(Check::Schema {
                name,
                validator: validator.clone(),
            }),
            None => {
                let pointer = if spec.schema.is_some() {
                    format!("{at}/schema")
                } else {
                    "/documents/error".to_owned()
                };
                problems.push(Problem::new(
                    file,
                    pointer,
                    format!("schema {name} is not in {}", schemas.source()),
                ));
            }
        }
    }

    checks.extend(body_checks(file, at, documented, spec, schemas, problems));
    checks.extend(text_check(file, at, documents, spec, schemas, problems));
    checks.extend(header_checks(file, at, carrier, spec, schemas, problems));
    checks.extend(location_checks(
        file, at, documents, spec, schemas, problems,
    ));
    checks.extend(challenge_checks(
        file, at, documents, spec, schemas, problems,
    ));
    checks
}

impl LocationSpec {
    fn part(&self, part: UrlPart) -> &IndexMap<String, Value> {
        match part {
            UrlPart::Query => &self.query,
            UrlPart::Fragment => &self.fragment,
        }
    }
}

trait PartName {
    fn name(self) -> &'static str;
}

impl PartName for UrlPart {
    /// The member of `location` in a case file.
    fn name(self) -> &'static str {
        match self {
            UrlPart::Query => "query",
            UrlPart::Fragment => "fragment",
        }
    }
}

/// A string (equals), `null` (absent) or an object (a JSON Schema for the value as a string),
/// as headers and parameters are matched; a broken schema is a problem at `pointer`.
fn text_matcher(
    file: &str,
    pointer: &str,
    matcher: &Value,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Option<HeaderMatcher> {
    Some(match matcher {
        Value::Null => HeaderMatcher::Absent,
        Value::String(s) => HeaderMatcher::Equals(s.clone()),
        spec => match schemas.compile_shared(spec) {
            Ok((spec, validator)) => HeaderMatcher::Schema { spec, validator },
            Err(e) => {
                problems.push(Problem::new(
                    file,
                    pointer,
                    format!("not a valid JSON Schema: {e}"),
                ));
                return None;
            }
        },
    })
}

/// The schema of Auth0's Boom-shaped error bodies (`/dbconnections/signup`).
const BOOM_SCHEMA: &str = "auth0-boom-error.schema.json";

/// The body-as-text check: the documented text of a row whose body is not JSON, unless `spec`
/// gives its own `text`.
fn text_check(
    file: &str,
    at: &str,
    documents: Option<&Documents>,
    spec: &Expectations,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Option<Check> {
    let (pointer, matcher) = match (&spec.text, documents) {
        (Some(matcher), _) => (format!("{at}/text"), matcher.clone()),
        (None, Some(d)) if d.shape == Shape::Text && d.carrier == Carrier::Body => (
            "/documents/description".to_owned(),
            Value::String(d.description.clone()?),
        ),
        _ => return None,
    };
    text_matcher(file, &pointer, &matcher, schemas, problems).map(Check::Text)
}

/// The Location parameter checks: the documented `error` in the query or fragment (when the
/// row travels there), then those `spec` adds or overrides.
fn location_checks(
    file: &str,
    at: &str,
    documents: Option<&Documents>,
    spec: &Expectations,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for part in [UrlPart::Query, UrlPart::Fragment] {
        let mut params: IndexMap<String, Value> = IndexMap::new();
        if let Some(d) = documents {
            let here = matches!(
                (d.carrier, part),
                (Carrier::Query, UrlPart::Query) | (Carrier::Fragment, UrlPart::Fragment)
            );
            if let (true, Some(error)) = (here, &d.error) {
                params.insert("error".into(), Value::String(error.clone()));
            }
        }
        for (name, matcher) in spec.location.part(part) {
            params.insert(name.clone(), matcher.clone());
        }
        for (param, matcher) in params {
            let pointer = format!(
                "{at}/location/{}/{}",
                part.name(),
                schema::escape_pointer(&param)
            );
            if let Some(matcher) = text_matcher(file, &pointer, &matcher, schemas, problems) {
                checks.push(Check::Location {
                    part,
                    param,
                    matcher,
                });
            }
        }
    }
    checks
}

/// The WWW-Authenticate checks: for a row carried in a challenge, a Bearer challenge, whose
/// `error` is the documented code where the row has one; then those `spec` adds or overrides,
/// by scheme and auth-param (names compare in lower case).
fn challenge_checks(
    file: &str,
    at: &str,
    documents: Option<&Documents>,
    spec: &Expectations,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Check> {
    // Scheme → its auth-params (name → where it is asked for, matcher); None: no challenge.
    type Params = IndexMap<String, (String, Value)>;
    let mut wanted: IndexMap<String, Option<Params>> = IndexMap::new();
    if let Some(d) = documents.filter(|d| d.carrier == Carrier::Challenge) {
        // Without a documented code only the challenge itself is a MUST (RFC 6750 §3); that it
        // carries no error code is a SHOULD NOT (§3.1), for a case's `advise`.
        let params = d.error.as_ref().map(|error| {
            let pointer = "/documents/error".to_owned();
            ("error".to_owned(), (pointer, Value::String(error.clone())))
        });
        wanted.insert("bearer".into(), Some(params.into_iter().collect()));
    }
    for (scheme, params) in &spec.challenge {
        let key = scheme.to_ascii_lowercase();
        let at_scheme = format!("{at}/challenge/{}", schema::escape_pointer(scheme));
        match params {
            None => {
                wanted.insert(key, None);
            }
            Some(params) => {
                let entry = wanted
                    .entry(key)
                    .or_insert_with(|| Some(IndexMap::new()))
                    .get_or_insert_with(IndexMap::new);
                for (name, matcher) in params {
                    let pointer = format!("{at_scheme}/{}", schema::escape_pointer(name));
                    entry.insert(name.to_ascii_lowercase(), (pointer, matcher.clone()));
                }
            }
        }
    }
    let mut checks = Vec::new();
    for (scheme, params) in wanted {
        checks.push(Check::Challenge {
            scheme: scheme.clone(),
            present: params.is_some(),
        });
        for (param, (pointer, matcher)) in params.unwrap_or_default() {
            if let Some(matcher) = text_matcher(file, &pointer, &matcher, schemas, problems) {
                checks.push(Check::ChallengeParam {
                    scheme: scheme.clone(),
                    param,
                    matcher,
                });
            }
        }
    }
    checks
}

/// The body checks: the documented `error` and `error_description` (when `documents` is
/// given), then those `spec` adds or overrides, by pointer.
fn body_checks(
    file: &str,
    at: &str,
    documented: Option<(&Documents, &Conventions)>,
    spec: &Expectations,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut body: IndexMap<String, Value> = IndexMap::new();
    if let Some((d, _)) = documented.filter(|(d, _)| d.shape == Shape::Boom)
        && let Some(error) = &d.error
    {
        // Boom's `description` is a text or, for a weak password, the object of rules: only a
        // text the row gives is checked.
        body.insert("/code".into(), Value::String(error.clone()));
        if let Some(text) = &d.description {
            body.insert("/description".into(), Value::String(text.clone()));
        }
    } else if let Some((d, conventions)) =
        documented.filter(|(d, _)| d.carrier == Carrier::Body && d.shape == Shape::Oauth)
        && let Some(error) = &d.error
    {
        body.insert("/error".into(), Value::String(error.clone()));
        // Auth0's table shows an `error_description` on every row with an `error`: its text
        // where the table gives one, else "...", i.e. some string. Where descriptions are
        // optional (RFC 6749), only a text the row gives is checked.
        let description = match (&d.description, conventions.every_error_has_description) {
            (Some(text), _) => Some(Value::String(text.clone())),
            (None, true) => Some(serde_json::json!({ "type": "string" })),
            (None, false) => None,
        };
        if let Some(description) = description {
            body.insert("/error_description".into(), description);
        }
    }
    for (pointer, matcher) in &spec.body {
        body.insert(pointer.clone(), matcher.clone());
    }
    for (pointer, matcher) in body {
        if let Err(message) = check_pointer(&pointer) {
            problems.push(Problem::new(
                file,
                format!("{at}/body/{}", schema::escape_pointer(&pointer)),
                message,
            ));
            continue;
        }
        let matcher = match matcher {
            Value::Object(_) => match schemas.compile_shared(&matcher) {
                Ok((spec, validator)) => Matcher::Schema { spec, validator },
                Err(e) => {
                    problems.push(Problem::new(
                        file,
                        format!("{at}/body/{}", schema::escape_pointer(&pointer)),
                        format!("not a valid JSON Schema: {e}"),
                    ));
                    continue;
                }
            },
            other => Matcher::Equals(other),
        };
        checks.push(Check::Body { pointer, matcher });
    }

    checks
}

/// The header checks of `spec`: a string equals, `null` is absent, an object is a JSON Schema.
fn header_checks(
    file: &str,
    at: &str,
    carrier: Option<Carrier>,
    spec: &Expectations,
    schemas: &Schemas,
    problems: &mut Vec<Problem>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut seen = BTreeMap::new();
    // RFC 6749 §4.1.2.1: with an invalid redirect_uri or client_id the server MUST NOT redirect.
    let implied = (carrier == Some(Carrier::Page)
        && !spec
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("location")))
    .then(|| ("location".to_owned(), Value::Null));
    for (name, matcher) in spec
        .headers
        .iter()
        .chain(implied.iter().map(|(k, v)| (k, v)))
    {
        let pointer = format!("{at}/headers/{}", schema::escape_pointer(name));
        let lower = name.to_ascii_lowercase();
        if let Some(first) = seen.insert(lower.clone(), name.clone()) {
            problems.push(Problem::new(
                file,
                pointer,
                format!(
                    "header `{name}` is already matched as `{first}` (names are case-insensitive)"
                ),
            ));
            continue;
        }
        let Some(matcher) = text_matcher(file, &pointer, matcher, schemas, problems) else {
            continue;
        };
        checks.push(Check::Header {
            name: lower,
            matcher,
        });
    }
    checks
}

/// RFC 6901: a pointer is empty or a sequence of `/segment`, where `~` is only `~0` or `~1`.
fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "{pointer:?} is not a JSON pointer: it must be empty or start with `/`"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "{pointer:?} is not a JSON pointer: `~` must be followed by 0 or 1"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::BuiltIn;

    fn load_one(text: &str) -> Result<Catalogue, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("grp")).unwrap();
        std::fs::write(dir.path().join("grp/c.json"), text).unwrap();
        Catalogue::load(
            Profile::Auth0,
            &Source::Dir(dir.path().to_owned()),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .map_err(|e| match e {
            Error::Load(p) => p
                .iter()
                .map(|p| {
                    p.to_string()
                        .replace(&dir.path().display().to_string(), "D")
                })
                .collect(),
            other => vec![other.to_string()],
        })
    }

    const MINIMAL: &str = r#"{"title": "t", "documents": {"status": 401, "error": "invalid_client"},
        "request": {"method": "POST", "path": "/oauth/token", "form": {"client_id": "{{client_id}}", "x": "{{ run_id }}"}}}"#;

    #[test]
    fn the_builtin_catalogues_load_and_cite_their_sources() {
        for (profile, source) in [
            (Profile::Auth0, "https://auth0.com/docs/"),
            (Profile::Rfc, "https://www.rfc-editor.org/rfc/"),
        ] {
            let cat = Catalogue::load(
                profile,
                &Source::BuiltIn(BuiltIn::Cases(profile)),
                &Source::BuiltIn(BuiltIn::Schemas),
            )
            .unwrap();
            assert!(cat.cases.len() >= 3);
            for case in &cat.cases {
                assert!(!case.tags.is_empty(), "{} has no tags", case.id);
                assert!(
                    case.refs.iter().any(|r| r.starts_with(source)),
                    "{profile} {} cites nothing under {source}",
                    case.id
                );
            }
        }
    }

    /// A run trusts the built-in case files without checking them against the case schema:
    /// this is where they are checked.
    #[test]
    fn every_builtin_case_file_is_valid_against_the_case_schema() {
        let schema = FormatSchema::case();
        for profile in Profile::ALL {
            let mut problems = Vec::new();
            for file in Source::BuiltIn(BuiltIn::Cases(profile)).files(&mut problems) {
                let value: Value = serde_json::from_str(&file.text).unwrap();
                let found = schema.problems(&file.display, &value);
                assert!(found.is_empty(), "{}: {found:?}", file.display);
            }
            assert!(problems.is_empty());
        }
    }

    #[test]
    fn documents_is_the_default_oracle() {
        let cat = load_one(MINIMAL).unwrap();
        let case = &cat.cases[0];
        assert_eq!(case.id, "grp/c");
        assert_eq!(case.group, "grp");
        let names: Vec<String> = case.checks.iter().map(|c| c.id().to_string()).collect();
        assert_eq!(
            names,
            [
                "status",
                "media type",
                "schema oauth-error.schema.json",
                "body /error",
                "body /error_description"
            ]
        );
        assert_eq!(
            case.variables
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["client_id", "run_id"]
        );
        assert_eq!(
            case.variables["client_id"].pointer,
            "/request/form/client_id"
        );
        assert_eq!(case.variables["client_id"].position, Some((2, 72)));
        assert!(case.advice.is_empty());
    }

    #[test]
    fn expect_overrides_and_extends_the_oracle() {
        let text = r#"{"title": "t", "documents": {"status": 403, "error": "access_denied", "description": "Unknown"},
            "request": {"method": "POST", "path": "/x"},
            "expect": {"status": [400, 403], "media_type": null, "schema": null,
                       "body": {"/error_description": {"pattern": "^Unknown"}, "/statusCode": 403},
                       "headers": {"Retry-After": null}},
            "advise": {"headers": {"cache-control": "no-store"}}}"#;
        let case = &load_one(text).unwrap().cases[0];
        let described: Vec<String> = case
            .checks
            .iter()
            .map(|c| format!("{} {}", c.id(), c.requirement()))
            .collect();
        assert_eq!(
            described,
            [
                "status is one of 400, 403",
                "body /error equals \"access_denied\"",
                "body /error_description matches {\"pattern\":\"^Unknown\"}",
                "body /statusCode equals 403",
                "header retry-after is absent"
            ]
        );
        assert_eq!(case.advice.len(), 1);
        assert_eq!(case.advice[0].id().to_string(), "header cache-control");
    }

    #[test]
    fn a_row_without_a_body_is_judged_on_status_alone() {
        let text = r#"{"title": "t", "documents": {"status": 500}, "request": {"method": "POST", "path": "/x"}}"#;
        let case = &load_one(text).unwrap().cases[0];
        assert_eq!(
            case.checks
                .iter()
                .map(|c| c.id().to_string())
                .collect::<Vec<_>>(),
            ["status"]
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let p = load_one("{\n  \"title\": \"t\",\n  oops\n}")
            .err()
            .expect("load fails");
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("D/grp/c.json:3:3: not valid JSON: key must be a string"),
            "{p:?}"
        );
    }

    #[test]
    fn semantic_problems_name_the_pointer() {
        let text = r#"{"title": "t", "documents": {"status": 400, "error": "x"},
            "request": {"method": "POST", "path": "/{{Bad}}", "headers": {"x-a": "{{open"}, "json": {"a": ["{{}}"]}},
            "expect": {"schema": "nope.json", "body": {"/a~2": 1, "/b": {"type": "strin"}},
                       "headers": {"X-A": "1", "x-a": "2", "x-b": {"type": 5}}}}"#;
        let p = load_one(text).err().expect("load fails");
        let all = p.join("\n");
        for expected in [
            "D/grp/c.json:2:43: /request/path: `{{Bad}}` is not a variable",
            "D/grp/c.json:2:75: /request/headers/x-a: `{{` without a closing `}}`",
            "D/grp/c.json:2:108: /request/json/a/0: `{{}}` is not a variable",
            "D/grp/c.json:3:24: /expect/schema: schema nope.json is not in the built-in schemas",
            "D/grp/c.json:3:56: /expect/body/~1a~02: \"/a~2\" is not a JSON pointer",
            "D/grp/c.json:3:67: /expect/body/~1b: not a valid JSON Schema",
            "D/grp/c.json:4:48: /expect/headers/x-a: header `x-a` is already matched as `X-A`",
            "D/grp/c.json:4:60: /expect/headers/x-b: not a valid JSON Schema",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in\n{all}");
        }
        assert_eq!(p.len(), 8, "{all}");
    }

    #[test]
    fn alternatives_need_a_status_a_reason_and_unique_names() {
        let alt = |name: &str, expect: &str| {
            format!(
                r#"{{"name": "{name}", "why": "w", "ref": "https://example.test/s", "expect": {expect}}}"#
            )
        };
        let with = |alts: &[String]| {
            let text = MINIMAL.replacen(
                "\"title\"",
                &format!("\"alternatives\": [{}], \"title\"", alts.join(", ")),
                1,
            );
            load_one(&text).err().expect("load fails").join("\n")
        };
        let all = with(&[
            alt("grants-less", r#"{"status": 200}"#),
            alt(
                "grants-less",
                r#"{"status": 200, "body": {"/scope": {"type": "string"}}}"#,
            ),
        ]);
        assert!(
            all.contains("/alternatives/1/name: `grants-less` names another alternative"),
            "{all}"
        );
        assert!(!all.contains("/alternatives/0"), "{all}");
        let all = with(&[alt("no-status", r#"{"media_type": "text/html"}"#)]);
        assert!(all.contains("/alternatives/0/expect"), "{all}");
        assert!(all.contains("status"), "{all}");
        let all = with(&[alt("Bad Name", r#"{"status": 200}"#)]);
        assert!(all.contains("/alternatives/0/name"), "{all}");
    }

    #[test]
    fn alternatives_compile_into_their_own_checks_with_lines() {
        let text = MINIMAL.replacen(
            "\"title\"",
            "\"alternatives\": [{\"name\": \"grants-less\", \"why\": \"w\",\n \"ref\": \"https://example.test/s\",\n \"expect\": {\"status\": 200,\n \"body\": {\"/scope\": {\"type\": \"string\"}}}}], \"title\"",
            1,
        );
        let catalogue = load_one(&text).expect("loads");
        let alt = &catalogue.cases[0].alternatives[0];
        assert_eq!(alt.name, "grants-less");
        let ids: Vec<String> = alt.checks.iter().map(|c| c.id().to_string()).collect();
        assert_eq!(ids, ["status", "body /scope"]);
        assert_eq!(alt.line_of(&CheckId::Status), Some(3));
        assert_eq!(alt.line_of(&CheckId::Body("/scope".into())), Some(4));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = MINIMAL.replacen("\"title\"", "\"titel\": \"x\", \"title\"", 1);
        let p = load_one(&text).err().expect("load fails");
        assert!(
            p[0].contains("/titel: unknown key `titel`; did you mean `title`?"),
            "{p:?}"
        );
    }

    #[test]
    fn an_empty_folder_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let err = Catalogue::load(
            Profile::Auth0,
            &Source::Dir(dir.path().to_owned()),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().contains("no case files (*.json) found"),
            "{err}"
        );
    }

    #[test]
    fn pointer_syntax() {
        assert!(check_pointer("").is_ok());
        assert!(check_pointer("/a~0b~1c").is_ok());
        assert!(check_pointer("a").is_err());
        assert!(check_pointer("/a~").is_err());
    }
}

/// Cases for other modules' unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::base::source::BuiltIn;

    /// A minimal loaded case (401 invalid_client) with the given id.
    pub fn case(id: &str) -> Case {
        let mut problems = Vec::new();
        let schemas = Schemas::load(&Source::BuiltIn(BuiltIn::Schemas), &mut problems);
        let text = r#"{"title": "t", "documents": {"status": 401, "error": "invalid_client"}, "request": {"method": "POST", "path": "/oauth/token"}}"#;
        load_case(
            id,
            "c.json",
            text,
            Some(&FormatSchema::case()),
            &schemas,
            &Conventions::default(),
        )
        .unwrap_or_else(|p| panic!("{p:?}"))
    }
}
