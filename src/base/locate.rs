//! Finds where a JSON pointer points in a file's text, so that problems can say
//! `file:line:column` as compilers do. For an object member it is the member's key.

/// Line and column (1-based; the column counts characters) of what `pointer` names in `text`,
/// or None if the text is not JSON enough to get there.
pub fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    locate_all(text, &[pointer]).pop().flatten()
}

/// [`locate`] for several pointers at once, in one pass over the text: a case asks for the
/// place of each of its checks and variables, and ten thousand cases make that pass count.
pub fn locate_all(text: &str, pointers: &[&str]) -> Vec<Option<(usize, usize)>> {
    let mut found = vec![None; pointers.len()];
    let mut scan = Scanner {
        s: text.as_bytes(),
        i: 0,
    };
    scan.ws();
    for (slot, pointer) in found.iter_mut().zip(pointers) {
        if pointer.is_empty() {
            *slot = Some(scan.i);
        }
    }
    let wanted = Wanted::of(pointers);
    let _ = scan.walk(&mut String::new(), &wanted, &mut found);
    positions(text, &found)
}

/// The line and column of each byte offset, in one pass over the text (one pass per offset
/// made a case of many variables quadratic).
fn positions(text: &str, offsets: &[Option<usize>]) -> Vec<Option<(usize, usize)>> {
    let mut order: Vec<(usize, usize)> = offsets
        .iter()
        .enumerate()
        .filter_map(|(slot, at)| Some(((*at)?, slot)))
        .collect();
    order.sort_unstable();
    let mut out = vec![None; offsets.len()];
    // Line and column (in characters) of `from`, carried from one offset to the next.
    let (mut line, mut column, mut from) = (1, 0, 0);
    for (at, slot) in order {
        let Some(between) = text.get(from..at) else {
            continue;
        };
        for c in between.chars() {
            if c == '\n' {
                line += 1;
                column = 0;
            } else {
                column += 1;
            }
        }
        from = at;
        out[slot] = Some((line, column + 1));
    }
    out
}

/// The pointers asked for, indexed: by whole pointer (its slots) and by every pointer above
/// one (so a value nothing is wanted in is skipped). A lookup per member, not a pass over every
/// pointer, which a file of twenty thousand variables made quadratic.
struct Wanted<'p> {
    slots: std::collections::HashMap<&'p str, Vec<usize>>,
    above: std::collections::HashSet<&'p str>,
}

impl<'p> Wanted<'p> {
    fn of(pointers: &[&'p str]) -> Wanted<'p> {
        let mut slots: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        let mut above = std::collections::HashSet::new();
        for (slot, pointer) in pointers.iter().enumerate() {
            slots.entry(pointer).or_default().push(slot);
            for (at, byte) in pointer.bytes().enumerate() {
                if byte == b'/' {
                    above.insert(&pointer[..at]);
                }
            }
        }
        Wanted { slots, above }
    }
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.s.get(self.i) == Some(&byte)).then(|| self.i += 1)
    }

    /// Walks the value at the cursor, whose pointer is `path`, recording where each wanted
    /// pointer below it starts (the key, for a member); values nothing is wanted in are skipped.
    fn walk(
        &mut self,
        path: &mut String,
        wanted: &Wanted<'_>,
        found: &mut [Option<usize>],
    ) -> Option<()> {
        self.ws();
        if !wanted.above.contains(path.as_str()) {
            return self.skip_value();
        }
        let (object, close) = match self.s.get(self.i)? {
            b'{' => (true, b'}'),
            b'[' => (false, b']'),
            _ => return self.skip_value(),
        };
        self.i += 1;
        self.ws();
        if self.s.get(self.i) == Some(&close) {
            self.i += 1;
            return Some(());
        }
        let depth = path.len();
        for index in 0.. {
            self.ws();
            let at = self.i;
            path.push('/');
            if object {
                let key = self.key()?;
                if key.contains(['~', '/']) {
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                } else {
                    path.push_str(&key);
                }
                self.eat(b':')?;
            } else {
                path.push_str(&index.to_string());
            }
            for &slot in wanted.slots.get(path.as_str()).into_iter().flatten() {
                // The first of duplicate keys, as serde_json's error positions would name it.
                found[slot].get_or_insert(at);
            }
            self.walk(path, wanted, found)?;
            path.truncate(depth);
            self.ws();
            match self.s.get(self.i)? {
                b',' => self.i += 1,
                b if *b == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
        None
    }

    /// Reads a member name at the cursor: as written when it has no escapes (almost always),
    /// decoded otherwise.
    fn key(&mut self) -> Option<std::borrow::Cow<'_, str>> {
        let start = self.i;
        (self.s.get(self.i) == Some(&b'"')).then_some(())?;
        let body = start + 1;
        let end = body
            + self
                .s
                .get(body..)?
                .iter()
                .position(|b| *b == b'"' || *b == b'\\')?;
        if self.s[end] == b'"' {
            self.i = end + 1;
            return std::str::from_utf8(&self.s[body..end])
                .ok()
                .map(std::borrow::Cow::Borrowed);
        }
        self.string().map(std::borrow::Cow::Owned)
    }

    /// Reads a string at the cursor and decodes it.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        (self.s.get(self.i) == Some(&b'"')).then_some(())?;
        self.i += 1;
        loop {
            match self.s.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return serde_json::from_slice(&self.s[start..self.i]).ok();
                }
                _ => self.i += 1,
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.s.get(self.i)? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if *open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&close) {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if *open == b'{' {
                        self.ws();
                        self.string()?;
                        self.eat(b':')?;
                    }
                    self.skip_value()?;
                    self.ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b if *b == close => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| !b",]} \t\r\n".contains(b))
                {
                    self.i += 1;
                }
                (self.i > start).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"title\": \"t\",\n  \"a/b\": [1, {\"x\": [true, null]}, \"é\"],\n  \"expect\": {\n    \"statsu\": 400\n  }\n}";

    #[test]
    fn finds_keys_and_elements() {
        assert_eq!(locate(TEXT, ""), Some((1, 1)));
        assert_eq!(locate(TEXT, "/title"), Some((2, 3)));
        assert_eq!(locate(TEXT, "/expect/statsu"), Some((5, 5)));
        assert_eq!(locate(TEXT, "/a~1b/1/x/1"), Some((3, 27)));
        assert_eq!(locate(TEXT, "/a~1b/2"), Some((3, 35)));
    }

    #[test]
    fn finds_many_in_one_pass_as_one_at_a_time() {
        let pointers = [
            "",
            "/title",
            "/expect/statsu",
            "/a~1b/1/x/1",
            "/a~1b/2",
            "/nope",
            "/a~1b/9",
            "/title/x",
        ];
        let one_pass = locate_all(TEXT, &pointers);
        let expected = [
            Some((1, 1)),
            Some((2, 3)),
            Some((5, 5)),
            Some((3, 27)),
            Some((3, 35)),
            None,
            None,
            None,
        ];
        assert_eq!(one_pass, expected);
    }

    #[test]
    fn gives_up_quietly() {
        assert_eq!(locate(TEXT, "/nope"), None);
        assert_eq!(locate(TEXT, "/a~1b/9"), None);
        assert_eq!(locate(TEXT, "no-slash"), None);
        assert_eq!(locate("{\"a\": ", "/a/b"), None);
        assert_eq!(locate("", "/a"), None);
    }
}
