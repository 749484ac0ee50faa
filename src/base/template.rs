//! `{{variable}}` placeholders in request strings: parsed (and rejected when malformed) at load
//! time, filled in at plan time. `{{variable?}}` is optional: standing as a whole value, the
//! item it fills is left out when the variable is not set.

/// The variable names `text` refers to, or what is wrong with its placeholders.
pub fn variables(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("`{{{{` without a closing `}}}}` in {text:?}"));
        };
        let written = after[..end].trim();
        let name = written.strip_suffix('?').unwrap_or(written);
        if written.ends_with('?') && text.trim() != format!("{{{{{written}}}}}") {
            return Err(format!(
                "`{{{{{written}}}}}` is optional, and so must be the whole value, not part of {text:?}"
            ));
        }
        if !is_name(name) {
            return Err(format!(
                "`{{{{{}}}}}` is not a variable: a name is lower-case letters, digits and `_`, not starting with a digit",
                &after[..end]
            ));
        }
        names.push(name);
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// The variable of an optional placeholder that is the whole of `text` (`{{audience?}}`).
pub fn optional(text: &str) -> Option<&str> {
    text.trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim()
        .strip_suffix('?')
        .filter(|name| is_name(name))
}

/// Whether `name` can name a variable (and so be set from an environment variable).
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Fills in every placeholder of `text`, which [`variables`] has accepted, using `lookup`.
/// A name that `lookup` does not know is left as written; planning skips such cases before
/// rendering, so that never reaches the wire.
pub fn render<'a>(text: &str, lookup: &impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        match lookup(after[..end].trim().trim_end_matches('?')) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_placeholders_stand_as_whole_values() {
        assert_eq!(variables("{{audience?}}"), Ok(vec!["audience"]));
        assert_eq!(optional(" {{ audience? }} "), Some("audience"));
        assert_eq!(optional("{{audience}}"), None);
        assert!(
            variables("x-{{audience?}}")
                .unwrap_err()
                .contains("must be the whole value")
        );
        assert_eq!(render("{{a?}}", &|n| (n == "a").then_some("v")), "v");
    }

    #[test]
    fn finds_variables() {
        assert_eq!(variables("a {{x}} b {{ y_2 }}").unwrap(), vec!["x", "y_2"]);
        assert_eq!(variables("plain").unwrap(), Vec::<&str>::new());
        assert_eq!(variables("{single} }}").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn rejects_malformed_placeholders() {
        assert!(variables("{{x").unwrap_err().contains("without a closing"));
        assert!(variables("{{}}").unwrap_err().contains("is not a variable"));
        assert!(variables("{{Client}}").unwrap_err().contains("lower-case"));
        assert!(variables("{{9a}}").is_err());
        assert!(variables("{{a-b}}").is_err());
    }

    #[test]
    fn renders_known_and_keeps_unknown() {
        let lookup = |n: &str| match n {
            "x" => Some("1"),
            "y" => Some("{{x}}"),
            _ => None,
        };
        assert_eq!(render("a{{x}}b{{ x }}c", &lookup), "a1b1c");
        // A value is inserted as it is, never rendered again.
        assert_eq!(render("{{y}}", &lookup), "{{x}}");
        assert_eq!(render("{{z}}-{{x}}", &lookup), "{{z}}-1");
        assert_eq!(render("é{{x}}ü", &lookup), "é1ü");
    }
}
