//! Variables and secrets: which exist (the documented ones, `cases/<name>/variables.json`, and
//! those a cases folder declares), where their values come from (built-in server, `--vars FILE`,
//! environment, flags), which of them are secret, and `{{run_id}}`.

use std::collections::BTreeMap;

use serde_json::Value;

use serde::Deserialize;

use crate::{
    base::error::{Error, Problem},
    base::schema::FormatSchema,
    base::source::{BuiltIn, Profile, Source, SourceFile},
    base::template,
};

/// A variable that cases may use, as `cases/<name>/variables.json` (or a cases folder's own
/// `variables.json`) declares it: `schemas/variables.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    #[serde(default)]
    pub secret: bool,
    pub meaning: String,
    #[serde(default)]
    pub on_auth0: Option<String>,
    /// The value when the run sets none (endpoints default to Auth0's paths).
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariablesFile {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    #[serde(rename = "title", default)]
    _title: Option<String>,
    #[serde(rename = "note", default)]
    _note: Option<String>,
    variables: Vec<Variable>,
}

/// The name of a cases folder's own variables file, at its top.
pub const VARIABLES_FILE: &str = "variables.json";

/// Reads a variables file (checked against its schema first), or every problem in it.
pub fn variables(file: &SourceFile) -> Result<Vec<Variable>, Vec<Problem>> {
    let value: serde_json::Value = serde_json::from_str(&file.text)
        .map_err(|e| vec![crate::base::schema::json_problem(&file.display, &e)])?;
    // A built-in file is proven valid by the tests: compiling the schema to say so again would
    // cost a run more than loading its cases.
    if !file.built_in {
        let problems: Vec<Problem> = FormatSchema::named("variables.schema.json")
            .problems(&file.display, &value)
            .into_iter()
            .map(|mut p| {
                p.position = crate::base::locate::locate(&file.text, &p.pointer);
                p
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    let parsed: VariablesFile = serde_path_to_error::deserialize(&value).map_err(|e| {
        vec![Problem::new(
            &file.display,
            crate::base::schema::pointer_of(e.path()),
            e.into_inner().to_string(),
        )]
    })?;
    Ok(parsed.variables)
}

/// A profile's documented variables (`cases/<name>/variables.json`).
pub fn documented(profile: Profile) -> Vec<Variable> {
    let mut ignored = Vec::new();
    let file = Source::BuiltIn(BuiltIn::Seed(profile))
        .files(&mut ignored)
        .into_iter()
        .find(|f| f.rel == VARIABLES_FILE)
        .expect("cases/<profile>/variables.json is built in");
    variables(&file).expect("the built-in variables file is valid")
}

/// Prefix of environment variables that set variables: `AUTHCONFORM_VAR_CLIENT_ID=…`.
pub const ENV_VAR_PREFIX: &str = "AUTHCONFORM_VAR_";
/// Prefix of environment variables that set secrets: `AUTHCONFORM_SECRET_CLIENT_SECRET=…`.
pub const ENV_SECRET_PREFIX: &str = "AUTHCONFORM_SECRET_";

/// One variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    /// Redacted from every output.
    pub secret: bool,
    /// Where the value came from, for messages about it.
    pub origin: Origin,
}

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in reference server, or the run itself (`run_id`).
    BuiltIn,
    /// A `--vars` file.
    File(String),
    /// An environment variable, by its name.
    Env(String),
    /// `--var` (false) or `--secret` (true).
    Flag { secret: bool },
    /// The target's discovery document (`--discover`), by its URL.
    Discovery(String),
    /// `--not-applicable`.
    NotApplicableFlag,
    /// The variable's declared `default` (a catalogue's own path, such as `/oauth/token`):
    /// the one kind of value that goes under the target's path (see `plan::Root`).
    Default,
}

impl Origin {
    /// The origin as a user would name it: `--var clientid=…`, `environment variable X`, ...
    pub fn describe(&self, name: &str) -> String {
        match self {
            Origin::BuiltIn => format!("`{name}`"),
            Origin::File(path) => format!("--vars {path}: /{name}"),
            Origin::Env(key) => format!("environment variable {key}"),
            Origin::Flag { secret: false } => format!("--var {name}=…"),
            Origin::Flag { secret: true } => format!("--secret {name}=…"),
            Origin::Discovery(url) => format!("--discover: {url}: {name}"),
            Origin::NotApplicableFlag => format!("--not-applicable {name}=…"),
            Origin::Default => format!("`{name}` (its declared default)"),
        }
    }
}

/// A variable declared not applicable to the target: the server has no such thing (no
/// revocation endpoint, no implicit grant), so the cases that need it can never run there.
/// Told apart from a variable the run forgot to set, which is a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable {
    /// Why, one line, as the user (or the discovery document's silence) says.
    pub reason: String,
    pub origin: Origin,
}

/// What a run knows of one variable: a value, or that the target has no such thing (one or
/// the other, never both: a later source replaces an earlier one's).
#[derive(Debug, Clone)]
enum Entry {
    Set(Var),
    NotApplicable(NotApplicable),
}

/// The variables of one run, by name.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    entries: BTreeMap<String, Entry>,
    /// The `--vars` file, when anyone but its owner may open it: warned about once it is
    /// known to hold a secret (inline, by its name, or by a declaration read later).
    open_file: Option<OpenFile>,
}

/// A variables file that anyone but its owner may open.
#[derive(Debug, Clone)]
struct OpenFile {
    path: String,
    /// Its permission bits.
    mode: u32,
    warned: bool,
}

impl Vars {
    /// Sets `name`, replacing an earlier value. A name that looks like a credential stays secret
    /// however it was given, so that `--var client_secret=…` cannot leak it by mistake.
    pub fn set(&mut self, name: &str, value: impl Into<String>, secret: bool) {
        self.set_from(name, value, secret, Origin::BuiltIn);
    }

    fn set_from(&mut self, name: &str, value: impl Into<String>, secret: bool, origin: Origin) {
        let secret = secret || looks_secret(name);
        // A later source that sets it undoes an earlier one's "not applicable".
        self.entries.insert(
            name.to_owned(),
            Entry::Set(Var {
                value: value.into(),
                secret,
                origin,
            }),
        );
    }

    /// The variables the user gave that nothing can use: a name that no loaded case refers to
    /// and that is not a documented variable is a mistake (a typo would otherwise set nothing
    /// and skip the cases that needed the real name, silently). One line each, naming where
    /// the variable came from, with the closest known name.
    pub fn unknown(&self, known: &[&str]) -> Vec<String> {
        self.given()
            .filter(|(name, _)| !known.contains(name))
            .map(|(name, origin)| {
                let hint = crate::base::schema::closest(name, known)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                format!(
                    "{}: no case uses a variable `{name}` and it is not a documented variable{hint}",
                    origin.describe(name)
                )
            })
            .collect()
    }

    /// Every variable the user gave, set or declared not applicable, with where it came from.
    pub fn given(&self) -> impl Iterator<Item = (&str, &Origin)> {
        // The values first, then the declarations, as messages list them.
        let set = self
            .iter()
            .filter(|(_, v)| !matches!(v.origin, Origin::BuiltIn | Origin::Default))
            .map(|(n, v)| (n, &v.origin));
        let not_applicable = self.entries.iter().filter_map(|(n, e)| match e {
            Entry::NotApplicable(d) => Some((n.as_str(), &d.origin)),
            Entry::Set(_) => None,
        });
        set.chain(not_applicable)
    }

    /// Declares `name` not applicable, replacing any value it had (a later source wins).
    fn set_not_applicable(&mut self, name: &str, reason: String, origin: Origin) {
        self.entries.insert(
            name.to_owned(),
            Entry::NotApplicable(NotApplicable { reason, origin }),
        );
    }

    /// Whether, and why, `name` was declared not applicable.
    pub fn not_applicable(&self, name: &str) -> Option<&NotApplicable> {
        match self.entries.get(name)? {
            Entry::NotApplicable(d) => Some(d),
            Entry::Set(_) => None,
        }
    }

    /// Declares `name` not applicable because the target's discovery document at `url` does
    /// not list it, unless the user set it or said so already.
    pub fn not_discovered(&mut self, name: &str, url: &str) {
        if self.get(name).is_none() && self.not_applicable(name).is_none() {
            self.set_not_applicable(
                name,
                format!("the discovery document at {url} lists no `{name}`"),
                Origin::Discovery(url.to_owned()),
            );
        }
    }

    /// Sets `name` from the target's discovery document at `url`, unless the user set it.
    pub fn discovered(&mut self, name: &str, value: &str, url: &str) {
        if self.get(name).is_none() {
            self.set_from(name, value, false, Origin::Discovery(url.to_owned()));
        }
    }

    /// Applies the declarations: a declared secret is secret however it was given, and a
    /// variable with a default has it unless a value was given.
    pub fn declare(&mut self, declared: &[Variable]) {
        for d in declared {
            match self.entries.get_mut(&d.name) {
                Some(Entry::Set(var)) => var.secret |= d.secret,
                // Not applicable: the default (Auth0's path) is not where this server has it.
                Some(Entry::NotApplicable(_)) => {}
                None => {
                    if let Some(default) = &d.default {
                        self.set_from(&d.name, default.clone(), d.secret, Origin::Default);
                    }
                }
            }
        }
        // A declaration can make a value of the file a secret that did not look like one.
        self.warn_if_exposed();
    }

    /// Warns on standard error, once, as ssh does of a private key, when the `--vars` file
    /// holds a secret and anyone but its owner may open it.
    fn warn_if_exposed(&mut self) {
        let Some(file) = self.open_file.as_mut().filter(|f| !f.warned) else {
            return;
        };
        let secrets: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|(name, e)| match e {
                Entry::Set(v) if v.secret && v.origin == Origin::File(file.path.clone()) => {
                    Some(name.as_str())
                }
                _ => None,
            })
            .collect();
        if !secrets.is_empty() {
            file.warned = true;
            eprintln!(
                "authconform: warning: {}",
                exposed(&file.path, file.mode, &secrets)
            );
        }
    }

    pub fn get(&self, name: &str) -> Option<&Var> {
        match self.entries.get(name)? {
            Entry::Set(v) => Some(v),
            Entry::NotApplicable(_) => None,
        }
    }

    /// Every secret value, for the redactor.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.iter()
            .filter(|(_, v)| v.secret)
            .map(|(_, v)| v.value.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.entries.iter().filter_map(|(k, e)| match e {
            Entry::Set(v) => Some((k.as_str(), v)),
            Entry::NotApplicable(_) => None,
        })
    }

    /// Reads a `--vars` file (`schemas/vars.schema.json`): a JSON object whose members are
    /// strings (variables), `{"secret": "…"}` (secrets), or listed without a value (`null`, or
    /// an object whose `value`/`secret` is null), as `authconform init` writes them.
    pub fn read_file(&mut self, path: &str) -> Result<(), Error> {
        let (text, meta) =
            crate::base::source::read_input(std::path::Path::new(path), "variables file")
                .map_err(|e| Error::Usage(format!("--vars {path}: {e}")))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "--vars {path}:{}:{}: not valid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let display = format!("--vars {path}");
        // A plainly valid file needs no compiled schema; anything else is judged by it.
        let problems = if plainly_valid(&doc) {
            Vec::new()
        } else {
            FormatSchema::named("vars.schema.json").problems(&display, &doc)
        };
        if !problems.is_empty() {
            // The value may be a secret: a problem names the member, never echoes it.
            let lines: Vec<String> = problems
                .into_iter()
                .map(|mut p| {
                    p.position = crate::base::locate::locate(&text, &p.pointer);
                    p.to_string()
                })
                .collect();
            return Err(Error::Usage(lines.join("\n")));
        }
        let Value::Object(members) = doc else {
            unreachable!("the schema admits only an object")
        };
        for (name, value) in members {
            if name.starts_with('$') {
                continue;
            }
            let origin = Origin::File(path.to_owned());
            let (value, secret) = match value {
                Value::String(s) => (Some(s), false),
                Value::Object(mut o) => {
                    // The schema admits a reason only beside a null or absent value.
                    if let Some(Value::String(reason)) = o.remove("not_applicable") {
                        self.set_not_applicable(&name, reason, origin);
                        continue;
                    }
                    match (o.remove("value"), o.remove("secret")) {
                        (Some(Value::String(s)), _) => (Some(s), false),
                        (_, Some(Value::String(s))) => (Some(s), true),
                        _ => (None, false),
                    }
                }
                _ => (None, false),
            };
            if let Some(value) = value {
                self.set_from(&name, value, secret, origin);
            }
        }
        self.open_file = open_to_others(&meta).map(|mode| OpenFile {
            path: path.to_owned(),
            mode,
            warned: false,
        });
        self.warn_if_exposed();
        Ok(())
    }

    /// Reads `AUTHCONFORM_VAR_*` and `AUTHCONFORM_SECRET_*` from `env`; the rest of the name,
    /// in lower case, is the variable's name. An empty value sets nothing.
    pub fn read_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), Error> {
        let mut found: Vec<(String, String, bool, String)> = Vec::new();
        for (key, value) in env {
            for (prefix, secret) in [(ENV_VAR_PREFIX, false), (ENV_SECRET_PREFIX, true)] {
                // Empty is unset: a CI system fills in a secret or variable that was never
                // defined as "", and sending "" would fail cases instead of skipping them.
                if let Some(rest) = key.strip_prefix(prefix)
                    && !value.is_empty()
                {
                    let name = rest.to_ascii_lowercase();
                    check_name(&name)
                        .map_err(|m| Error::Usage(format!("environment variable {key}: {m}")))?;
                    found.push((name, value.clone(), secret, key.clone()));
                }
            }
        }
        // Sorted so that a variable set both ways ends as the secret one, whatever the order.
        found.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        for (name, value, secret, key) in found {
            self.set_from(&name, value, secret, Origin::Env(key));
        }
        Ok(())
    }

    /// Applies `--var name=value` (or `--secret`) flags.
    pub fn read_flags(&mut self, flags: &[String], secret: bool) -> Result<(), Error> {
        let flag = if secret { "--secret" } else { "--var" };
        for item in flags {
            let Some((name, value)) = item.split_once('=') else {
                // Never echo the value: it may be a secret given without its name.
                return Err(Error::Usage(format!(
                    "{flag}: expected NAME=VALUE, got an argument without `=`"
                )));
            };
            check_name(name).map_err(|m| Error::Usage(format!("{flag} {name}=…: {m}")))?;
            self.set_from(name, value, secret, Origin::Flag { secret });
        }
        Ok(())
    }
}

impl Vars {
    /// Applies `--not-applicable NAME=REASON` flags. A variable both set and declared not
    /// applicable on the command line is a contradiction, not a choice of the later one.
    pub fn read_not_applicable(&mut self, flags: &[String]) -> Result<(), Error> {
        for item in flags {
            let Some((name, reason)) = item.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--not-applicable {}: expected NAME=REASON",
                    crate::base::redact::neutralise(item, false)
                )));
            };
            let bad = |m: String| Error::Usage(format!("--not-applicable {name}=…: {m}"));
            check_name(name).map_err(bad)?;
            check_reason(reason).map_err(bad)?;
            if let Some(var) = self
                .get(name)
                .filter(|v| matches!(v.origin, Origin::Flag { .. }))
            {
                return Err(bad(format!(
                    "{} sets it too: give one or the other",
                    var.origin.describe(name)
                )));
            }
            self.set_not_applicable(name, reason.to_owned(), Origin::NotApplicableFlag);
        }
        Ok(())
    }
}

/// Whether `doc` is a vars file that `schemas/vars.schema.json` certainly accepts, without
/// compiling the schema (its patterns alone take longer than the rest of a run's start): an
/// object whose members are named plainly (`$` and printable ASCII, or a variable name) and
/// hold a string, null, or an object of `value`/`secret` (a string or null, not both) and
/// `meaning`/`how` (strings). Anything else goes to the schema, which finds what is wrong.
fn plainly_valid(doc: &Value) -> bool {
    let Value::Object(members) = doc else {
        return false;
    };
    let text_or_null = |v: &Value| matches!(v, Value::String(_) | Value::Null);
    members.iter().all(|(name, value)| {
        if let Some(rest) = name.strip_prefix('$') {
            return rest.bytes().all(|b| (0x20..0x7f).contains(&b));
        }
        crate::base::template::is_name(name)
            && match value {
                Value::String(_) | Value::Null => true,
                Value::Object(o) => {
                    let not_applicable = o.get("not_applicable").is_some_and(|v| !v.is_null());
                    !(o.contains_key("value") && o.contains_key("secret"))
                        && o.iter().all(|(k, v)| match k.as_str() {
                            "value" | "secret" if not_applicable => v.is_null(),
                            "value" | "secret" => text_or_null(v),
                            "not_applicable" => {
                                v.is_null() || v.as_str().is_some_and(|r| check_reason(r).is_ok())
                            }
                            "meaning" | "how" => v.is_string(),
                            _ => false,
                        })
                }
                _ => false,
            }
    })
}

/// The permission bits of a file that anyone but its owner may open (as ssh judges a private
/// key: any bit for the group or others); none where it is the owner's alone.
#[cfg(unix)]
fn open_to_others(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_to_others(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The warning for a variables file at `path`, with permissions `mode`, that holds `secrets`.
fn exposed(path: &str, mode: u32, secrets: &[&str]) -> String {
    let quoted = shlex::try_quote(path).map_or_else(|_| path.into(), |q| q.into_owned());
    crate::base::redact::neutralise(
        &format!(
            "--vars {path}: holds secrets ({}) and others can open it (permissions {mode:04o}): \
             run `chmod 600 {quoted}`, or give the secrets as {ENV_SECRET_PREFIX}* environment \
             variables",
            secrets.join(", ")
        ),
        false,
    )
}

/// A reason a variable is not applicable: one line of text, not blank (it is what a report
/// says instead of a verdict).
fn check_reason(reason: &str) -> Result<(), String> {
    if reason.trim().is_empty() {
        Err("the reason is empty: say why the variable does not apply to this server".into())
    } else if reason.chars().any(|c| c.is_control()) {
        Err(
            "the reason is not one line of text (it holds a line break or control character)"
                .into(),
        )
    } else {
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if template::is_name(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a variable name: use lower-case letters, digits and `_`"
        ))
    }
}

/// Where the user's variables come from.
pub struct Sources<'a> {
    pub file: Option<&'a str>,
    pub env: &'a [(String, String)],
    pub vars: &'a [String],
    pub secrets: &'a [String],
    /// `--not-applicable NAME=REASON`.
    pub not_applicable: &'a [String],
}

impl Vars {
    /// Applies the user's sources over what is already set (the built-in server's variables),
    /// later ones winning: the `--vars` file, the environment, `--var`, `--secret`. Then
    /// `run_id`, unless one was given.
    pub fn apply(
        &mut self,
        sources: &Sources<'_>,
        run_id: impl FnOnce() -> String,
    ) -> Result<(), Error> {
        if let Some(file) = sources.file {
            self.read_file(file)?;
        }
        self.read_env(sources.env.iter().cloned())?;
        self.read_flags(sources.vars, false)?;
        self.read_flags(sources.secrets, true)?;
        self.read_not_applicable(sources.not_applicable)?;
        if self.get("run_id").is_none() {
            self.set("run_id", run_id(), false);
        }
        Ok(())
    }
}

/// The process environment as text. An entry that is not UTF-8 is passed over, unless it is
/// one of ours, which is then a usage error (`std::env::vars` would panic on either).
pub fn environment() -> Result<Vec<(String, String)>, Error> {
    let mut env = Vec::new();
    for (key, value) in std::env::vars_os() {
        match (key.into_string(), value.into_string()) {
            (Ok(k), Ok(v)) => env.push((k, v)),
            (Ok(k), Err(_)) if k.starts_with("AUTHCONFORM_") => {
                return Err(Error::Usage(format!(
                    "environment variable {k}: its value is not UTF-8"
                )));
            }
            _ => {}
        }
    }
    Ok(env)
}

/// Whether a variable's name says it holds a credential.
pub fn looks_secret(name: &str) -> bool {
    ["secret", "password", "token"]
        .iter()
        .any(|w| name.ends_with(w))
}

/// The environment variable that sets secret `name`: `AUTHCONFORM_SECRET_CLIENT_SECRET`.
pub fn secret_env_name(name: &str) -> String {
    format!("{ENV_SECRET_PREFIX}{}", name.to_ascii_uppercase())
}

/// A vars file being written (`schemas/vars.schema.json`, read back by [`Vars::read_file`]):
/// members in the order added, printed by [`VarsFile::text`]. `init` lists variables to fill
/// in; `serve --write-vars` sets the reference server's.
#[derive(Debug, Default)]
pub struct VarsFile(serde_json::Map<String, Value>);

impl VarsFile {
    /// A member a run ignores (its name starts with `$`): a note, or what an app needs.
    pub fn note(&mut self, key: &str, value: Value) {
        debug_assert!(key.starts_with('$'), "{key} is read as a variable");
        self.0.insert(key.to_owned(), value);
    }

    /// `name` set: `"name": "value"`, or `"name": {"secret": "value"}`.
    pub fn set(&mut self, name: &str, value: &str, secret: bool) {
        let value = Value::String(value.to_owned());
        let entry = if secret {
            serde_json::json!({ "secret": value })
        } else {
            value
        };
        self.0.insert(name.to_owned(), entry);
    }

    /// `v` listed to be filled in: its value (or secret) and `not_applicable` null, with its
    /// meaning (and default) and how to get it; a secret's `how` names its environment
    /// variable, since secrets never go in the file.
    pub fn listed(&mut self, v: &Variable) {
        let mut entry = serde_json::Map::new();
        let meaning = match &v.default {
            Some(default) => format!("{} (when null: `{default}`)", v.meaning),
            None => v.meaning.clone(),
        };
        entry.insert(
            if v.secret { "secret" } else { "value" }.into(),
            Value::Null,
        );
        entry.insert("not_applicable".into(), Value::Null);
        entry.insert("meaning".into(), meaning.into());
        let mut how = v
            .on_auth0
            .as_ref()
            .map(|h| format!("on Auth0: {h}"))
            .unwrap_or_default();
        if v.secret {
            if !how.is_empty() {
                how.push_str(". ");
            }
            how.push_str(&format!(
                "A secret: leave this null and set the environment variable {} (in CI, from the secret store)",
                secret_env_name(&v.name)
            ));
        }
        if !how.is_empty() {
            entry.insert("how".into(), how.into());
        }
        self.0.insert(v.name.clone(), Value::Object(entry));
    }

    /// The file's text: pretty JSON, ending in a line break.
    pub fn text(self) -> String {
        let mut text =
            serde_json::to_string_pretty(&Value::Object(self.0)).expect("JSON values print");
        text.push('\n');
        text
    }
}

/// A value unique to this run, for `{{run_id}}`: so that what one run creates or exhausts is
/// not confused with another's.
pub fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:04x}", nanos, std::process::id() & 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_env_and_files_set_variables() {
        let mut vars = Vars::default();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vars.json");
        std::fs::write(&file, r#"{"audience": "https://api", "client_secret": {"secret": "s1"}, "x": {"secret": "s2"}}"#).unwrap();
        vars.read_file(file.to_str().unwrap()).unwrap();
        vars.read_env([
            ("AUTHCONFORM_VAR_CLIENT_ID".to_owned(), "id".to_owned()),
            ("AUTHCONFORM_SECRET_AUDIENCE".to_owned(), "aud2".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ])
        .unwrap();
        vars.read_flags(&["client_id=flag-id".into(), "eq=a=b".into()], false)
            .unwrap();
        assert_eq!(
            vars.get("client_id").unwrap(),
            &Var {
                value: "flag-id".into(),
                secret: false,
                origin: Origin::Flag { secret: false }
            }
        );
        assert_eq!(
            vars.get("audience").unwrap(),
            &Var {
                value: "aud2".into(),
                secret: true,
                origin: Origin::Env("AUTHCONFORM_SECRET_AUDIENCE".into())
            }
        );
        assert_eq!(vars.get("eq").unwrap().value, "a=b");
        vars.read_env([("AUTHCONFORM_SECRET_EMPTY".to_owned(), String::new())])
            .unwrap();
        assert!(
            vars.get("empty").is_none(),
            "an empty environment value is unset"
        );
        assert!(vars.get("x").unwrap().secret);
        let mut secrets: Vec<&str> = vars.secrets().collect();
        secrets.sort();
        assert_eq!(secrets, ["aud2", "s1", "s2"]);
    }

    #[test]
    fn unknown_names_say_where_they_came_from_and_what_was_meant() {
        let mut vars = Vars::default();
        vars.set("server_only", "v", false);
        vars.read_flags(&["clientid=x".into(), "audience=a".into()], false)
            .unwrap();
        vars.read_env([(
            "AUTHCONFORM_SECRET_CLIENT_SECERT".to_owned(),
            "hunter2".to_owned(),
        )])
        .unwrap();
        let found = vars.unknown(&["client_id", "client_secret", "audience"]);
        assert_eq!(
            found,
            [
                "environment variable AUTHCONFORM_SECRET_CLIENT_SECERT: no case uses a variable `client_secert` and it is not a documented variable (did you mean `client_secret`?)",
                "--var clientid=…: no case uses a variable `clientid` and it is not a documented variable (did you mean `client_id`?)",
            ]
        );
        assert!(!found.concat().contains("hunter2"));
    }

    #[test]
    fn credential_names_are_always_secret() {
        let mut vars = Vars::default();
        vars.read_flags(
            &[
                "client_secret=x".into(),
                "refresh_token=y".into(),
                "client_id=z".into(),
            ],
            false,
        )
        .unwrap();
        assert!(vars.get("client_secret").unwrap().secret);
        assert!(vars.get("refresh_token").unwrap().secret);
        assert!(!vars.get("client_id").unwrap().secret);
    }

    #[test]
    fn bad_input_is_a_usage_error_that_never_shows_the_value() {
        let mut vars = Vars::default();
        let e = vars
            .read_flags(&["hunter2".into()], true)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("NAME=VALUE"));
        let e = vars
            .read_flags(&["Bad-Name=v".into()], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a variable name"), "{e}");
        let e = vars
            .read_env([("AUTHCONFORM_VAR_A-B".to_owned(), "v".to_owned())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("AUTHCONFORM_VAR_A-B"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.json");
        std::fs::write(&file, r#"{"a": 1}"#).unwrap();
        let e = vars
            .read_file(file.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains(": /a: expected a string"), "{e}");
        std::fs::write(&file, "[").unwrap();
        let e = vars
            .read_file(file.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains(":1:1: not valid JSON"), "{e}");
        let e = vars
            .read_file("/nonexistent/v.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read the file"), "{e}");
    }

    /// The shortcut that skips compiling the schema takes only files the schema accepts.
    #[test]
    fn a_plainly_valid_vars_file_is_one_the_schema_accepts() {
        let schema = FormatSchema::named("vars.schema.json");
        let docs = [
            json!({}),
            json!({"client_id": "a", "_x1": null, "$comment": "notes", "$": 1}),
            json!({"a": {"value": "v", "meaning": "m"}, "b": {"secret": null, "how": "h"}}),
            json!({"a": {"secret": "s"}, "b": {}, "$ x~": {"any": [1]}}),
            json!({"a": {"not_applicable": "no such thing", "value": null, "how": "h"}}),
            json!({"a": {"not_applicable": " "}}),
            json!({"a": {"value": "v", "not_applicable": null}}),
            json!({"a": {"value": "v", "not_applicable": "why"}}),
            json!({"a": {"not_applicable": "x\ny"}}),
            json!({"a": {"not_applicable": "x", "secret": "s"}}),
            json!({"a": {"value": "v", "secret": "s"}}),
            json!({"a": {"value": 1}}),
            json!({"a": {"meaning": null}}),
            json!({"a": {"other": "x"}}),
            json!({"A": "x"}),
            json!({"1a": "x"}),
            json!({"a-b": "x"}),
            json!({"": "x"}),
            json!({"$\n": "x"}),
            json!({"$é": "x"}),
            json!({"a": 1}),
            json!({"a": []}),
            json!([]),
            json!("x"),
        ];
        let mut plain = 0;
        for doc in &docs {
            let accepted = schema.problems("v.json", doc).is_empty();
            if plainly_valid(doc) {
                plain += 1;
                assert!(accepted, "{doc}");
            }
        }
        assert_eq!(plain, 6);
    }

    #[test]
    fn a_vars_file_may_list_variables_without_setting_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.json");
        std::fs::write(
            &file,
            r#"{"$comment": "notes", "client_id": {"value": "id", "meaning": "m"},
                "audience": null, "db_connection": {"value": null, "how": "h"},
                "client_secret": {"secret": null, "meaning": "set it in the environment"},
                "other_secret": {"secret": "s3"}}"#,
        )
        .unwrap();
        let mut vars = Vars::default();
        vars.read_file(file.to_str().unwrap()).unwrap();
        let set: Vec<(&str, &str, bool)> = vars
            .iter()
            .map(|(n, v)| (n, v.value.as_str(), v.secret))
            .collect();
        assert_eq!(
            set,
            [("client_id", "id", false), ("other_secret", "s3", true)]
        );

        for (text, expected) in [
            (
                r#"{"Client_Id": "hunter2"}"#,
                "a variable name is lower-case",
            ),
            (
                r#"{"x": {"secret": 5}}"#,
                "/x: expected a string, null, an object",
            ),
            (
                r#"{"x": {"value": "hunter2", "secret": "hunter2"}}"#,
                "/x: expected",
            ),
            (r#"{"x": {"secert": "hunter2"}}"#, "/x: expected"),
        ] {
            std::fs::write(&file, text).unwrap();
            let e = Vars::default()
                .read_file(file.to_str().unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{text}: {e}");
            assert!(!e.contains("hunter2"), "{text}: {e}");
        }
    }

    /// `{"not_applicable": "REASON"}` declares a variable not applicable, with no value; a
    /// later source that sets it wins, as it would over a value; a reason that is blank or
    /// What [`VarsFile`] writes reads back as written: values and secrets set, a listed
    /// variable set to nothing, notes (`$…`) ignored.
    #[test]
    fn a_written_vars_file_reads_back_as_written() {
        let mut written = VarsFile::default();
        written.note("$comment", json!("a note"));
        written.set("client_id", "abc", false);
        written.set("client_secret", "s3", true);
        for secret in [false, true] {
            written.listed(&Variable {
                name: format!("listed_{secret}"),
                secret,
                meaning: "m".into(),
                on_auth0: Some("Settings".into()),
                default: Some("/d".into()),
            });
        }
        let text = written.text();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["listed_true"]["secret"], Value::Null);
        assert_eq!(doc["listed_false"]["meaning"], "m (when null: `/d`)");
        assert!(
            doc["listed_true"]["how"]
                .as_str()
                .unwrap()
                .ends_with("set the environment variable AUTHCONFORM_SECRET_LISTED_TRUE (in CI, from the secret store)")
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.json");
        std::fs::write(&file, &text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut vars = Vars::default();
        vars.read_file(file.to_str().unwrap()).unwrap();
        let read: Vec<(&str, &str, bool)> = vars
            .iter()
            .map(|(name, v)| (name, v.value.as_str(), v.secret))
            .collect();
        assert_eq!(
            read,
            [("client_id", "abc", false), ("client_secret", "s3", true)]
        );
        assert!(vars.not_applicable("listed_false").is_none());
    }

    /// more than one line, or a value beside it, is refused naming the member.
    #[test]
    fn a_vars_file_may_declare_a_variable_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.json");
        let path = file.to_str().unwrap();
        std::fs::write(
            &file,
            r#"{"revocation_endpoint": {"not_applicable": "no revocation here", "meaning": "m"},
                "implicit_client_id": {"value": null, "not_applicable": "no implicit grant"},
                "unrevocable_token": {"secret": null, "not_applicable": "every token revokes"},
                "client_id": {"not_applicable": "overridden below"}}"#,
        )
        .unwrap();
        let mut vars = Vars::default();
        vars.set("revocation_endpoint", "/built-in", false);
        vars.read_file(path).unwrap();
        vars.read_flags(&["client_id=abc".into()], false).unwrap();
        vars.declare(&[Variable {
            name: "revocation_endpoint".into(),
            secret: false,
            meaning: "m".into(),
            on_auth0: None,
            default: Some("/oauth/revoke".into()),
        }]);
        assert_eq!(
            vars.get("revocation_endpoint"),
            None,
            "no value, no default"
        );
        assert_eq!(
            vars.not_applicable("revocation_endpoint"),
            Some(&NotApplicable {
                reason: "no revocation here".into(),
                origin: Origin::File(path.into())
            })
        );
        assert_eq!(
            vars.not_applicable("unrevocable_token").unwrap().reason,
            "every token revokes"
        );
        assert!(vars.not_applicable("implicit_client_id").is_some());
        assert_eq!(vars.get("client_id").unwrap().value, "abc");
        assert_eq!(vars.not_applicable("client_id"), None);
        // A declaration is a given name like any other: a typo in it is caught.
        let unknown = vars.unknown(&["client_id", "implicit_client_id", "unrevocable_token"]);
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(
            unknown[0].contains("/revocation_endpoint: no case uses"),
            "{unknown:?}"
        );

        for text in [
            r#"{"x": {"not_applicable": ""}}"#,
            r#"{"x": {"not_applicable": "  "}}"#,
            r#"{"x": {"not_applicable": "two\nlines"}}"#,
            r#"{"x": {"not_applicable": "esc \u001b[31m"}}"#,
            r#"{"x": {"not_applicable": 1}}"#,
            r#"{"x": {"not_applicable": "why", "value": "hunter2"}}"#,
            r#"{"x": {"not_applicable": "why", "secret": "hunter2"}}"#,
            r#"{"x": {"not_applicable": null, "value": "hunter2", "secret": null}}"#,
        ] {
            std::fs::write(&file, text).unwrap();
            let e = Vars::default().read_file(path).unwrap_err().to_string();
            assert!(
                e.contains("/x: expected") && e.contains("not_applicable"),
                "{text}: {e}"
            );
            assert!(!e.contains("hunter2"), "{text}: {e}");
        }
    }

    #[test]
    fn not_applicable_flags_need_a_reason_and_contradict_a_value_flag() {
        let mut vars = Vars::default();
        vars.read_env([("AUTHCONFORM_VAR_A".to_owned(), "env".to_owned())])
            .unwrap();
        vars.read_not_applicable(&["a=none here".into()]).unwrap();
        assert_eq!(vars.get("a"), None, "the flag wins over the environment");
        assert_eq!(
            vars.not_applicable("a").unwrap().origin.describe("a"),
            "--not-applicable a=…"
        );
        for (flag, expected) in [
            ("b", "expected NAME=REASON"),
            ("b=", "the reason is empty"),
            ("b=x\ny", "not one line"),
            ("B=x", "is not a variable name"),
        ] {
            let e = Vars::default()
                .read_not_applicable(&[flag.into()])
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{flag:?}: {e}");
        }
        let mut vars = Vars::default();
        vars.read_flags(&["c=v".into()], false).unwrap();
        let e = vars
            .read_not_applicable(&["c=why".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--var c=…") && e.contains("one or the other"),
            "{e}"
        );
        vars.discovered("d", "/d", "https://h/.well-known/x");
        vars.not_discovered("d", "https://h/.well-known/x");
        vars.not_discovered("e", "https://h/.well-known/x");
        assert_eq!(vars.get("d").unwrap().value, "/d");
        assert_eq!(
            vars.not_applicable("e").unwrap().reason,
            "the discovery document at https://h/.well-known/x lists no `e`"
        );
    }

    /// The reference server gives every documented variable without a default a value, and
    /// no other.
    #[test]
    fn the_documented_variables_are_the_ones_the_reference_server_provides() {
        let documented: Vec<(String, bool)> = documented(Profile::Auth0)
            .into_iter()
            .filter(|v| v.default.is_none())
            .map(|v| (v.name, v.secret))
            .collect();
        let provided: Vec<(String, bool)> = crate::reference::variables()
            .into_iter()
            .map(|(name, _, secret)| (name.to_owned(), secret))
            .collect();
        assert_eq!(documented, provided);
    }

    /// A built-in variables file skips the schema at load: here it must pass it, and a file
    /// that breaks it must still be refused when it is not built in.
    #[test]
    fn the_built_in_variables_files_meet_their_schema() {
        let schema = FormatSchema::named("variables.schema.json");
        for profile in Profile::ALL {
            let file = Source::BuiltIn(BuiltIn::Seed(profile))
                .files(&mut Vec::new())
                .into_iter()
                .find(|f| f.rel == VARIABLES_FILE)
                .expect("cases/<profile>/variables.json is built in");
            let value: serde_json::Value = serde_json::from_str(&file.text).unwrap();
            assert_eq!(schema.problems(&file.display, &value), [], "{profile:?}");
            let broken = SourceFile {
                text: file.text.replacen("\"meaning\"", "\"meening\"", 1),
                built_in: false,
                ..file
            };
            assert!(variables(&broken).is_err(), "{profile:?}");
        }
    }

    /// A variables file that holds a secret and that others may open is warned about, as ssh
    /// warns of a private key: once, whether the secret is written inline, named like one, or
    /// declared one by the cases folder; a file at 0600, or one without secrets, is not.
    #[cfg(unix)]
    #[test]
    fn a_vars_file_with_secrets_open_to_others_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.json");
        let path = file.to_str().unwrap();
        let warned = |text: &str, mode: u32, declared: &[Variable]| {
            std::fs::write(&file, text).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let mut vars = Vars::default();
            vars.read_file(path).unwrap();
            let on_reading = vars.open_file.as_ref().is_some_and(|f| f.warned);
            vars.declare(declared);
            (
                on_reading,
                vars.open_file.as_ref().is_some_and(|f| f.warned),
            )
        };
        let inline = r#"{"x": {"secret": "s"}}"#;
        assert_eq!(warned(inline, 0o644, &[]), (true, true));
        assert_eq!(warned(inline, 0o640, &[]), (true, true));
        assert_eq!(warned(inline, 0o600, &[]), (false, false));
        assert_eq!(
            warned(r#"{"client_secret": "s"}"#, 0o604, &[]),
            (true, true)
        );
        assert_eq!(warned(r#"{"api_key": "k"}"#, 0o644, &[]), (false, false));
        let api_key = Variable {
            name: "api_key".into(),
            secret: true,
            meaning: "m".into(),
            on_auth0: None,
            default: None,
        };
        assert_eq!(
            warned(r#"{"api_key": "k"}"#, 0o644, &[api_key]),
            (false, true)
        );
        assert_eq!(
            exposed("my vars.json", 0o644, &["client_secret", "api_key"]),
            "--vars my vars.json: holds secrets (client_secret, api_key) and others can open it (permissions 0644): run `chmod 600 'my vars.json'`, or give the secrets as AUTHCONFORM_SECRET_* environment variables"
        );
    }

    #[test]
    fn run_ids_are_names_safe_for_urls() {
        let id = run_id();
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    }
}
