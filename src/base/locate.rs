//! Finds where a JSON pointer points in a file's text, so that problems can say
//! `file:line:column` as compilers do. For an object member it is the member's key.

/// Line and column (1-based; the column counts characters) of what `pointer` names in `text`,
/// or None if the text is not JSON enough to get there.
pub fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let mut scan = Scanner {
        s: text.as_bytes(),
        i: 0,
    };
    scan.ws();
    let mut at = scan.i;
    if !pointer.is_empty() {
        for segment in pointer.strip_prefix('/')?.split('/') {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            at = scan.enter(&segment)?;
        }
    }
    let before = text.get(..at)?;
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    Some((line, column))
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

    /// Moves into the member or element `segment` of the value at the cursor; returns where
    /// it starts (the key, for a member) and leaves the cursor on its value.
    fn enter(&mut self, segment: &str) -> Option<usize> {
        self.ws();
        match self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    let key_at = self.i;
                    let key = self.string()?;
                    self.eat(b':')?;
                    self.ws();
                    if key == segment {
                        return Some(key_at);
                    }
                    self.skip_value()?;
                    self.eat(b',')?;
                }
            }
            b'[' => {
                self.i += 1;
                let index: usize = segment.parse().ok()?;
                for _ in 0..index {
                    self.ws();
                    self.skip_value()?;
                    self.eat(b',')?;
                }
                self.ws();
                Some(self.i)
            }
            _ => None,
        }
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
    fn gives_up_quietly() {
        assert_eq!(locate(TEXT, "/nope"), None);
        assert_eq!(locate(TEXT, "/a~1b/9"), None);
        assert_eq!(locate(TEXT, "no-slash"), None);
        assert_eq!(locate("{\"a\": ", "/a/b"), None);
        assert_eq!(locate("", "/a"), None);
    }
}
