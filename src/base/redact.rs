//! The output guard, in one place. Every string that leaves the process (terminal, failure
//! detail, JUnit, JSON, annotations, error messages) passes through here: a [`Redactor`] masks
//! secrets in whatever encoding a server echoes them, and the credentials a server issues
//! ([`issued_credentials`]); [`neutralise`] makes text that came from outside (a server, a case
//! file) unable to steer a terminal or a CI log.
//!
//! A secret is not looked for as a list of its encoded forms (a server may encode any subset of
//! its characters, in either hex case, mixing JSON and percent escapes): the text is read as a
//! sequence of characters, each written as itself or as one escape (percent, form `+`, JSON once
//! or twice, Rust's `\u{..}` of `{:?}` and [`neutralise`], an HTML character reference, a JSON
//! pointer's `~1`), and every region whose
//! characters spell the secret is masked. Base64 is read by blocks, not characters: every run of
//! base64 characters is decoded at each of its four alignments, and a run whose decoding holds a
//! secret is masked whole.

use crate::base::response::Response;

/// Text that was cut short ends with this mark; a secret cut there is masked too.
pub const CUT: char = '…';

/// [`CUT`] as it stands in UTF-8 text.
const CUT_BYTES: &[u8] = "…".as_bytes();

/// The shortest start of a secret, left before a [`CUT`], that is masked.
const MIN_PARTIAL: usize = 3;

/// What a secret is replaced by.
pub const MASK: &str = "***";

/// The longest escape that a [`CUT`] may have split: a JSON surrogate pair written twice over
/// (`\\ud83d\\ude00`) is 14 characters.
const LONGEST_ESCAPE: usize = 14;

/// A region of the text, as byte offsets (start, end).
type Span = (usize, usize);

/// Replaces every secret, in every encoding that can appear on the wire or in an echo, by
/// [`MASK`], and leaves every other character of the text as it was.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first. Where two overlap (a secret inside another), their spans are merged, so
    /// either is masked whole.
    secrets: Vec<Box<[u8]>>,
    /// Values shown as they are (variables that are not secret) that contain a secret:
    /// `test-client` for the secret `test`. A secret found inside one of these is part of a value
    /// anyone may read, and is left alone: masking it would garble the value, not hide anything.
    public: Vec<Box<[u8]>>,
    /// The fewest base64 characters that can hold the shortest secret.
    min_run: usize,
    /// The secrets that are numbers, as floats.
    numbers: Vec<f64>,
    /// More than [`MAX_NEEDLES`] were added: a response that issues thousands of credentials is
    /// hostile, and every text is masked whole rather than searched for each of them.
    overloaded: bool,
}

/// The most secrets (a run's, with their float forms, and the credentials one response
/// issued) searched for one by one. Found in review: a body of 20,000 members
/// `"tN_token":"…"` made each text be searched 20,000 times (21 s of CPU for one case).
const MAX_NEEDLES: usize = 256;

/// The work one [`Redactor::redact`] may do, across all its secrets, in bytes read (each
/// secret's search reads the text once, and its escapes may be read again): a few milliseconds.
/// Once spent, the rest of the text is masked unread.
const BUDGET: usize = 1 << 24;

/// What each secret's search costs besides the bytes it reads.
const NEEDLE_COST: usize = 16;

/// The number `secret` stands for, if it is written as one: digits, with an optional sign,
/// point and exponent.
fn number_of(secret: &str) -> Option<f64> {
    let unsigned = secret.strip_prefix(['-', '+']).unwrap_or(secret);
    let numeric = unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && unsigned.contains(|c: char| c.is_ascii_digit())
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric {
        return None;
    }
    secret.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The ways a float is written: serde_json's (ryu), Rust's `{}`, `{:?}` and `{:e}`, and each
/// exponent also with its `+` and as `E` (JavaScript, Python, Java).
fn float_forms(number: f64) -> Vec<String> {
    let mut forms = vec![
        format!("{number}"),
        format!("{number:?}"),
        format!("{number:e}"),
    ];
    forms.extend(serde_json::Number::from_f64(number).map(|n| n.to_string()));
    let signed: Vec<String> = forms
        .iter()
        .filter_map(|form| {
            let (mantissa, exponent) = form.split_once('e')?;
            (!exponent.starts_with('-')).then(|| format!("{mantissa}e+{exponent}"))
        })
        .collect();
    forms.extend(signed);
    let upper: Vec<String> = forms
        .iter()
        .filter(|form| form.contains('e'))
        .map(|form| form.replace('e', "E"))
        .collect();
    forms.extend(upper);
    forms.sort_unstable();
    forms.dedup();
    forms
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// The redactor of a run: its `secrets`, sparing the `public` values that contain one (the
    /// variables that are not secret, the target).
    pub fn for_run<'a>(secrets: &[&str], public: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Redactor::new(secrets.iter().copied());
        redactor.spare(public);
        redactor
    }

    /// Adds a secret: it is masked in every encoding that [`Redactor::redact`] reads. A secret
    /// that is a number is masked in the forms a float of it is written in as well: serde_json
    /// reads `98765432109876543210987` as a float, and messages and `actual` showed it as
    /// `9.876543210987654e22`.
    pub fn add(&mut self, secret: &str) {
        if self.overloaded {
            return;
        }
        self.add_needle(secret);
        if let Some(number) = number_of(secret) {
            if !self.numbers.contains(&number) {
                self.numbers.push(number);
            }
            for form in float_forms(number) {
                if form.len() >= MIN_ISSUED {
                    self.add_needle(&form);
                }
            }
        }
    }

    /// Whether `number` is, as a float, one of the secrets that are numbers: a JSON value that
    /// is one is masked, however the server wrote it (`9.8765432109876543e22`).
    pub fn is_secret_number(&self, number: f64) -> bool {
        self.overloaded || self.numbers.contains(&number)
    }

    fn add_needle(&mut self, secret: &str) {
        let secret = secret.as_bytes();
        if self.overloaded || secret.is_empty() || self.secrets.iter().any(|s| **s == *secret) {
            return;
        }
        if self.secrets.len() >= MAX_NEEDLES {
            self.overloaded = true;
            self.secrets.clear();
            self.public.clear();
            return;
        }
        self.secrets.push(secret.into());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let shortest = self.secrets.last().map_or(0, |s| s.len());
        self.min_run = (shortest * 4).div_ceil(3);
    }

    /// Values that are shown as they are, wherever they appear: of these, those that contain a
    /// secret (and are longer than it) keep it unmasked inside them. Call once the secrets are
    /// added; a value equal to a secret spares nothing.
    pub fn spare<'a>(&mut self, public: impl IntoIterator<Item = &'a str>) {
        for value in public {
            let value = value.as_bytes();
            let holds_secret = self.secrets.iter().any(|secret| {
                secret.len() < value.len() && value.windows(secret.len()).any(|w| w == &**secret)
            });
            if holds_secret && !self.public.iter().any(|p| **p == *value) {
                self.public.push(value.into());
            }
        }
    }

    /// `text` with every secret masked: where it is written plainly or in any mix of percent,
    /// form, JSON (once or twice), Rust (`\u{e31}`) and HTML escapes, inside a base64 run (either alphabet, padded
    /// or not), or its start left before a [`CUT`]. Nothing else changes.
    pub fn redact(&self, text: &str) -> String {
        if self.overloaded && !text.is_empty() {
            return MASK.to_owned();
        }
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        let mut scratch = Scratch::default();
        let bytes = text.as_bytes();
        let mut spans = self.secret_spans(bytes, false, &mut scratch);
        self.base64_spans(bytes, &mut scratch, &mut spans);
        if spans.is_empty() {
            text.to_owned()
        } else {
            masked(text, spans)
        }
    }

    /// Where a secret stands in `text`, in any of the character encodings, except inside a
    /// public value. `cut_at_end`: the text stops where it was cut, so a secret's start at its
    /// end counts.
    fn secret_spans(&self, text: &[u8], cut_at_end: bool, scratch: &mut Scratch) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut escapes = std::mem::take(&mut scratch.escapes);
        escapes.clear();
        let cuts = cut_at_end || memchr::memmem::find(text, CUT_BYTES).is_some();
        // Where an escape begins, or one that a cut split. A `+` is a space in a form, so it
        // matters only to a needle with a space.
        let spaced = self
            .secrets
            .iter()
            .chain(&self.public)
            .any(|s| s.contains(&b' '));
        let plus = if spaced { b'+' } else { b'~' };
        escapes.extend(
            memchr::memchr3_iter(b'%', b'\\', b'&', text)
                .chain(memchr::memchr2_iter(b'~', plus, text))
                .filter(|&i| {
                    units(text, i).count > 1 || (cuts && cut_at(text, i, cut_at_end).is_some())
                }),
        );
        escapes.sort_unstable();
        escapes.dedup();
        let mut search = Search {
            text,
            escapes: &escapes,
            cuts,
            cut_at_end,
            ring: &mut scratch.ring,
            spent: scratch.spent,
        };
        for secret in &self.secrets {
            if search.spent > BUDGET {
                // Not read for this secret: it may be anywhere.
                spans.push((0, text.len()));
                break;
            }
            search.occurrences(secret, &mut spans);
        }
        if !spans.is_empty() && !self.public.is_empty() {
            let mut shields = Vec::new();
            search.cuts = false;
            for value in &self.public {
                search.occurrences(value, &mut shields);
            }
            spans.retain(|&(start, end)| {
                !shields
                    .iter()
                    .any(|&(s, e)| s <= start && end <= e && e - s > end - start)
            });
        }
        scratch.spent = search.spent;
        scratch.escapes = escapes;
        spans
    }

    /// Every run of base64 characters (raw or escaped, either alphabet, with its padding) whose
    /// decoding holds a secret, whole: a secret inside a Basic credential (`user:secret`) is at
    /// any of three alignments, and the characters at its edges carry bits of it.
    fn base64_spans(&self, text: &[u8], scratch: &mut Scratch, spans: &mut Vec<Span>) {
        let mut at = 0;
        while at < text.len() {
            if scratch.spent > BUDGET {
                spans.push((at, text.len()));
                return;
            }
            // Most of a text is words too short to hold a secret: counted, not decoded.
            let start = at;
            let mut count = 0;
            while let Some(&byte) = text.get(at) {
                let len = match BASE64[usize::from(byte)] {
                    value if value < 64 => 1,
                    ESCAPE => match base64_char(text, at) {
                        Some((Base64::Sextet(_), len)) => len,
                        _ => break,
                    },
                    _ => break,
                };
                count += 1;
                at += len;
            }
            if count == 0 {
                at += 1;
                continue;
            }
            while let Some((Base64::Pad, len)) = base64_char(text, at) {
                at += len;
            }
            let cut = text[at..].starts_with(CUT_BYTES);
            if count < self.min_run.max(2) && !(cut && count >= 4) {
                continue;
            }
            let mut sextets = std::mem::take(&mut scratch.sextets);
            sextets.clear();
            let mut i = start;
            while let Some((Base64::Sextet(value), len)) = base64_char(text, i) {
                sextets.push(value);
                i += len;
            }
            if self.decodes_to_secret(&sextets, cut, scratch) {
                spans.push((start, at));
            }
            scratch.sextets = sextets;
        }
    }

    /// Whether the base64 `sextets`, decoded from any of the first four, hold a secret (in any
    /// character encoding: a Basic credential's secret is form-encoded, RFC 6749 §2.3.1).
    fn decodes_to_secret(&self, sextets: &[u8], cut: bool, scratch: &mut Scratch) -> bool {
        (0..4.min(sextets.len())).any(|from| {
            let mut decoded = std::mem::take(&mut scratch.decoded);
            decode_base64(&sextets[from..], &mut decoded);
            let found = !self.secret_spans(&decoded, cut, scratch).is_empty();
            scratch.decoded = decoded;
            found
        })
    }
}

/// Buffers reused while one text is searched.
#[derive(Default)]
struct Scratch {
    ring: Ring,
    decoded: Vec<u8>,
    sextets: Vec<u8>,
    escapes: Vec<usize>,
    /// The work done so far, against [`BUDGET`].
    spent: usize,
}

/// The partial occurrences of a needle ahead of the place being read, by the place they have
/// reached (modulo [`RING`]): (bytes of the needle spelt, where the occurrence started).
#[derive(Default)]
struct Ring(Vec<Vec<(usize, usize)>>);

/// Below this length a text is searched for a needle byte by byte.
const SHORT_TEXT: usize = 256;

/// The most partial occurrences of one needle read in one text before the rest of the text is
/// masked unread. Ordinary text keeps a handful alive at a time; only a text of ambiguous escapes
/// (a run of backslashes) against a needle of them keeps one per byte of the needle, and this
/// bounds what a server that chooses both (an issued credential and a body) can make a run
/// spend on one text (a few milliseconds).
const MAX_WORK: usize = 100_000;

/// More than the longest escape ([`units`]): `&DiacriticalGrave;` is 18 characters.
const RING: usize = 20;

/// `text` with each span (widened to whole characters, merged where they overlap) replaced
/// by [`MASK`].
fn masked(text: &str, spans: Vec<Span>) -> String {
    let mut spans: Vec<Span> = spans
        .into_iter()
        .map(|(mut start, mut end)| {
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            (start, end)
        })
        .collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut spans = spans.into_iter().peekable();
    while let Some((start, mut end)) = spans.next() {
        while let Some(&(next_start, next_end)) = spans.peek() {
            if next_start >= end {
                break;
            }
            end = end.max(next_end);
            spans.next();
        }
        out.push_str(&text[done..start]);
        out.push_str(MASK);
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

/// One text being searched, with what is known of it: where its escapes may begin (`%`, `\`,
/// `&`, `~`, `+`), and whether it was cut.
struct Search<'t> {
    text: &'t [u8],
    escapes: &'t [usize],
    /// The text holds a [`CUT`], or ends where it was cut (`cut_at_end`).
    cuts: bool,
    cut_at_end: bool,
    ring: &'t mut Ring,
    /// The work done so far, against [`BUDGET`].
    spent: usize,
}

impl Search<'_> {
    /// Every occurrence of `needle`, each of its characters written as itself or as an escape
    /// ([`units`]), as a span added to `spans`; and where the text was cut ([`cut_at`]), the
    /// start of one when at least [`MIN_PARTIAL`] bytes of it come before the cut.
    ///
    /// Written plainly, it is found by a plain search. Otherwise its first escape begins at one
    /// of `escapes`, and it starts at most a needle's length before that: only there is the
    /// text read escape by escape ([`Search::read`]).
    fn occurrences(&mut self, needle: &[u8], spans: &mut Vec<Span>) {
        let (text, n) = (self.text, needle.len());
        if n == 0 || text.is_empty() {
            return;
        }
        self.spent += text.len() + NEEDLE_COST;
        if text.len() < SHORT_TEXT {
            // Building a searcher costs more than looking at a short text.
            let found = text.windows(n).enumerate().filter(|(_, w)| *w == needle);
            spans.extend(found.map(|(at, _)| (at, at + n)));
        } else {
            let finder = memchr::memmem::Finder::new(needle);
            let mut at = 0;
            while let Some(found) = text.get(at..).and_then(|rest| finder.find(rest)) {
                spans.push((at + found, at + found + n));
                at += found + 1;
            }
        }
        if self.cuts {
            self.plain_starts_before_cuts(needle, spans);
        }
        let mut next = 0;
        while next < self.escapes.len() {
            let from = self.escapes[next].saturating_sub(n - 1);
            let mut to = self.escapes[next] + 1;
            next += 1;
            while next < self.escapes.len() && self.escapes[next].saturating_sub(n - 1) <= to {
                to = self.escapes[next] + 1;
                next += 1;
            }
            self.read(needle, from..to, spans);
        }
    }

    /// The start of `needle`, written plainly, left just before a cut: `…abc[cut]` of a secret
    /// `abcdef`.
    fn plain_starts_before_cuts(&self, needle: &[u8], spans: &mut Vec<Span>) {
        let text = self.text;
        let cuts =
            memchr::memmem::find_iter(text, CUT_BYTES).chain(self.cut_at_end.then_some(text.len()));
        for mut cut in cuts {
            // Replacement characters just before the cut are the character it split.
            while text[..cut].ends_with(REPLACEMENT_BYTES) {
                cut -= REPLACEMENT_BYTES.len();
            }
            let before = &text[..cut];
            if let Some(len) = (MIN_PARTIAL..needle.len())
                .rev()
                .find(|&len| before.ends_with(&needle[..len]))
            {
                spans.push((cut - len, cut));
            }
        }
    }

    /// The occurrences of `needle` that start in `starts`, read escape by escape.
    ///
    /// One pass over the text, all starts at once: at each place, the partial occurrences that
    /// reach it are kept once for each number of needle bytes they spell, with the earliest
    /// start (a later one spans less of the same text). So the work is at most the text's
    /// length times the needle's, whatever mix of ambiguous escapes (`%25`, `\\`, `&amp;`)
    /// the text holds.
    fn read(&mut self, needle: &[u8], starts: std::ops::Range<usize>, spans: &mut Vec<Span>) {
        let text = self.text;
        let ring = &mut self.ring.0;
        ring.resize_with(RING, Vec::new);
        ring.iter_mut().for_each(Vec::clear);
        let first = needle[0];
        let may_start = |b: &u8| *b == first || matches!(b, b'%' | b'\\' | b'&' | b'~' | b'+');
        let (mut pending, mut work, mut first_start) = (0, 0, None);
        for i in starts.start..=text.len() {
            let starts_here = starts.contains(&i) && text.get(i).is_some_and(may_start);
            if starts_here {
                first_start.get_or_insert(i);
            }
            if work > MAX_WORK {
                // Only a text and a needle made of ambiguous escapes get here: masked from the
                // first place the needle may have started, rather than read any longer.
                spans.push((first_start.unwrap_or(i), text.len()));
                self.spent += work;
                return;
            }
            if pending == 0 && !starts_here {
                if i >= starts.end {
                    break;
                }
                continue;
            }
            let mut here = std::mem::take(&mut ring[i % RING]);
            pending -= here.len();
            if starts_here {
                here.push((0, i));
            }
            here.sort_unstable();
            here.dedup_by_key(|&mut (spelt, _)| spelt);
            if let Some(cut) = cut_at(text, i, self.cut_at_end) {
                spans.extend(
                    here.iter()
                        .filter(|&&(spelt, _)| spelt >= MIN_PARTIAL)
                        .map(|&(_, start)| (start, cut)),
                );
            }
            work += here.len();
            let units = units(text, i);
            for &(spelt, start) in &here {
                for unit in units.iter() {
                    if !needle[spelt..].starts_with(unit.bytes()) {
                        continue;
                    }
                    let (next, spelt) = (i + unit.len(), spelt + unit.bytes().len());
                    if spelt == needle.len() {
                        spans.push((start, next));
                    } else {
                        ring[next % RING].push((spelt, start));
                        pending += 1;
                    }
                }
            }
            here.clear();
            ring[i % RING] = here;
        }
        self.spent += work;
    }
}

/// Where the text at `i` was cut: at `i` itself, or a little further when an escape was cut in
/// two (`%2…`).
fn cut_at(text: &[u8], i: usize, cut_at_end: bool) -> Option<usize> {
    let rest = &text[i..];
    let after = &rest[replaced(rest)..];
    if after.starts_with(CUT_BYTES) || (cut_at_end && after.is_empty()) {
        return Some(i);
    }
    if !matches!(rest.first(), Some(b'%' | b'\\' | b'&' | b'~')) {
        return None;
    }
    // `{` too: Rust's `\u{e31}` cut in two.
    let escape_like = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'#' | b'\\' | b'/' | b'{');
    let window = &rest[..rest.len().min(LONGEST_ESCAPE + CUT_BYTES.len())];
    let tail = window[1..]
        .iter()
        .position(|b| !escape_like(b))
        .map_or(window.len(), |p| p + 1);
    if window[tail..].starts_with(CUT_BYTES) || (cut_at_end && i + tail == text.len()) {
        Some(i + tail)
    } else {
        None
    }
}

/// U+FFFD as it stands in UTF-8 text.
const REPLACEMENT_BYTES: &[u8] = "\u{fffd}".as_bytes();

/// How many bytes of replacement characters (U+FFFD) `text` starts with. A text cut at a byte
/// limit inside a character and decoded lossily ends with them before its [`CUT`]: they are
/// part of the cut (`Passw\u{fffd}…` of a secret `Passw€rd`).
fn replaced(text: &[u8]) -> usize {
    text.chunks(REPLACEMENT_BYTES.len())
        .take_while(|c| *c == REPLACEMENT_BYTES)
        .count()
        * REPLACEMENT_BYTES.len()
}

/// One way to read the text at a place: the bytes it stands for and how much text it takes.
#[derive(Debug, Clone, Copy, Default)]
struct Unit {
    bytes: [u8; 4],
    spelt: u8,
    len: u8,
}

impl Unit {
    fn byte(byte: u8, len: usize) -> Unit {
        Unit {
            bytes: [byte, 0, 0, 0],
            spelt: 1,
            len: len as u8,
        }
    }

    fn char(c: char, len: usize) -> Unit {
        let mut bytes = [0; 4];
        let spelt = c.encode_utf8(&mut bytes).len() as u8;
        Unit {
            bytes,
            spelt,
            len: len as u8,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.spelt)]
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// The readings of the text at `at`, at most three.
#[derive(Debug, Default)]
struct Units {
    found: [Unit; 3],
    count: usize,
}

impl Units {
    fn push(&mut self, unit: Option<Unit>) {
        if let Some(unit) = unit
            && self.count < self.found.len()
        {
            self.found[self.count] = unit;
            self.count += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Unit> {
        self.found[..self.count].iter()
    }
}

/// Every way to read the text at `at` as one byte or character: the byte itself, and the escape
/// it begins: `%2F` or `%2f` (a byte), `+` (a space, in a form), a JSON escape written once
/// (`\/`, `\u002F`, a surrogate pair) or twice (`\\u002F`, `\\\/`), Rust's `\u{e31}`, `\'` and `\0`
/// (of `{:?}` and [`neutralise`]) once or twice, an HTML character reference
/// (`&#47;`, `&#x2f;`, `&sol;`, and `&amp` without its `;` as browsers read it), a JSON
/// pointer's `~1` and `~0`.
fn units(text: &[u8], at: usize) -> Units {
    let mut units = Units::default();
    let Some(&byte) = text.get(at) else {
        return units;
    };
    units.push(Some(Unit::byte(byte, 1)));
    match byte {
        b'%' => units.push(percent_escape(text, at)),
        b'+' => units.push(Some(Unit::byte(b' ', 1))),
        b'\\' => {
            units.push(json_escape(text, at).map(|(c, len)| Unit::char(c, len)));
            units.push(json_escape_twice(text, at).map(|(c, len)| Unit::char(c, len)));
        }
        b'&' => units.push(html_reference(text, at).map(|(c, len)| Unit::char(c, len))),
        b'~' => units.push(pointer_escape(text, at)),
        _ => {}
    }
    units
}

/// `~1` or `~0`: a `/` or a `~` in a member's name, as a JSON pointer (the place of a schema
/// violation) writes them.
fn pointer_escape(text: &[u8], at: usize) -> Option<Unit> {
    match text.get(at + 1)? {
        b'0' => Some(Unit::byte(b'~', 2)),
        b'1' => Some(Unit::byte(b'/', 2)),
        _ => None,
    }
}

fn hex_digit(byte: u8) -> Option<u32> {
    char::from(byte).to_digit(16)
}

/// `%HH`, either hex case.
fn percent_escape(text: &[u8], at: usize) -> Option<Unit> {
    let high = hex_digit(*text.get(at + 1)?)?;
    let low = hex_digit(*text.get(at + 2)?)?;
    Some(Unit::byte((high * 16 + low) as u8, 3))
}

/// Four hex digits at `at`.
fn hex4(text: &[u8], at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0, |value, &b| Some(value * 16 + hex_digit(b)?))
}

/// A UTF-16 escape (`prefix` and four hex digits), or a surrogate pair of two: the character
/// and the length.
fn utf16_escape(text: &[u8], at: usize, prefix: &[u8]) -> Option<(char, usize)> {
    let len = prefix.len() + 4;
    let unit = hex4(text, at + prefix.len())?;
    match unit {
        0xD800..=0xDBFF => {
            let low_at = at + len;
            if !text.get(low_at..)?.starts_with(prefix) {
                return None;
            }
            let low = hex4(text, low_at + prefix.len())?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
            Some((c, 2 * len))
        }
        _ => char::from_u32(unit).map(|c| (c, len)),
    }
}

/// The character a JSON escape of one character stands for, after its backslash.
fn json_simple(byte: u8) -> Option<char> {
    Some(match byte {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The character a one-letter escape stands for after its backslash: JSON's, and Rust's `\'`
/// and `\0`.
fn simple_escape(byte: u8) -> Option<char> {
    match byte {
        b'\'' => Some('\''),
        b'0' => Some('\0'),
        other => json_simple(other),
    }
}

/// A JSON string escape at `at` (`\/`, `\"`, `\u00e9`, a surrogate pair), or one of Rust's
/// own (`\u{e31}`, `\'`, `\0`): messages quote server text with `{:?}`, which escapes control,
/// format and grapheme-extending characters, and [`neutralise`] writes `\u{..}` too, so a
/// secret holding `\u{301}` or `\u{1}` reached the reports in that form.
fn json_escape(text: &[u8], at: usize) -> Option<(char, usize)> {
    match *text.get(at + 1)? {
        b'u' if text.get(at + 2) == Some(&b'{') => rust_unicode(text, at, 2),
        b'u' => utf16_escape(text, at, b"\\u"),
        other => simple_escape(other).map(|c| (c, 2)),
    }
}

/// Rust's `\u{HEX}` (one to six hex digits) whose `\u` is `prefix` bytes long, at `at`: the
/// character and the length.
fn rust_unicode(text: &[u8], at: usize, prefix: usize) -> Option<(char, usize)> {
    let open = at + prefix;
    let digits = text
        .get(open + 1..)?
        .iter()
        .take(7)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if digits == 0 || digits > 6 || text.get(open + 1 + digits) != Some(&b'}') {
        return None;
    }
    let number = std::str::from_utf8(&text[open + 1..open + 1 + digits]).ok()?;
    let c = char::from_u32(u32::from_str_radix(number, 16).ok()?)?;
    Some((c, prefix + digits + 2))
}

/// A JSON string escape, escaped again (JSON echoed inside JSON): `\\u002F`, `\\\"`, `\\\\`,
/// `\\n`, and `\\\/` or `\\/` for the slash.
fn json_escape_twice(text: &[u8], at: usize) -> Option<(char, usize)> {
    if !text.get(at..)?.starts_with(b"\\\\") {
        return None;
    }
    match *text.get(at + 2)? {
        b'u' if text.get(at + 3) == Some(&b'{') => rust_unicode(text, at, 3),
        b'u' => utf16_escape(text, at, b"\\\\u"),
        b'\\' => match *text.get(at + 3)? {
            quoted @ (b'\\' | b'"' | b'/') => json_simple(quoted).map(|c| (c, 4)),
            _ => None,
        },
        b'"' => None,
        other => simple_escape(other).map(|c| (c, 3)),
    }
}

/// HTML's names for ASCII punctuation and the no-break space (a secret is mostly ASCII; the
/// other characters are read from numeric references).
const HTML_NAMES: &[(&str, char)] = &[
    ("Tab", '\t'),
    ("NewLine", '\n'),
    ("nbsp", '\u{a0}'),
    ("excl", '!'),
    ("quot", '"'),
    ("QUOT", '"'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("amp", '&'),
    ("AMP", '&'),
    ("apos", '\''),
    ("lpar", '('),
    ("rpar", ')'),
    ("ast", '*'),
    ("midast", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("colon", ':'),
    ("semi", ';'),
    ("lt", '<'),
    ("LT", '<'),
    ("equals", '='),
    ("gt", '>'),
    ("GT", '>'),
    ("quest", '?'),
    ("commat", '@'),
    ("lsqb", '['),
    ("lbrack", '['),
    ("bsol", '\\'),
    ("rsqb", ']'),
    ("rbrack", ']'),
    ("Hat", '^'),
    ("lowbar", '_'),
    ("UnderBar", '_'),
    ("grave", '`'),
    ("DiacriticalGrave", '`'),
    ("lcub", '{'),
    ("lbrace", '{'),
    ("verbar", '|'),
    ("vert", '|'),
    ("VerticalLine", '|'),
    ("rcub", '}'),
    ("rbrace", '}'),
];

/// The longest of [`HTML_NAMES`]: a longer name is none of them.
const LONGEST_NAME: usize = "DiacriticalGrave".len();

/// The names a browser also reads without their `;`.
const HTML_LEGACY: &[&str] = &["amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp"];

/// An HTML character reference at `at`: `&#47;`, `&#x2F;`, `&#X2f;`, `&sol;`; the `;` of a
/// numeric one, and of `&amp` and the like, may be left out, as browsers read them.
fn html_reference(text: &[u8], at: usize) -> Option<(char, usize)> {
    let rest = text.get(at + 1..)?;
    if rest.first() == Some(&b'#') {
        let (radix, skip) = match rest.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let digits = rest[skip..]
            .iter()
            .take_while(|b| char::from(**b).is_digit(radix))
            .take(9)
            .count();
        if digits == 0 || digits > 8 {
            return None;
        }
        let number = std::str::from_utf8(&rest[skip..skip + digits]).ok()?;
        let c = char::from_u32(u32::from_str_radix(number, radix).ok()?).filter(|&c| c != '\0')?;
        let semicolon = usize::from(rest.get(skip + digits) == Some(&b';'));
        return Some((c, 1 + skip + digits + semicolon));
    }
    let name_len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .take(LONGEST_NAME + 1)
        .count();
    let name = &rest[..name_len];
    if rest.get(name_len) == Some(&b';')
        && let Some((_, c)) = HTML_NAMES.iter().find(|(n, _)| n.as_bytes() == name)
    {
        return Some((*c, name_len + 2));
    }
    let legacy = HTML_LEGACY
        .iter()
        .find(|n| rest.starts_with(n.as_bytes()))?;
    let (_, c) = HTML_NAMES.iter().find(|(n, _)| n == legacy)?;
    Some((*c, legacy.len() + 1))
}

/// A base64 character as a run holds it.
enum Base64 {
    Sextet(u8),
    Pad,
}

/// The base64 character at `at` (either alphabet, `=`), written as itself or escaped (`%2F`,
/// `\/`, `&#x2B;`), and its length.
fn base64_char(text: &[u8], at: usize) -> Option<(Base64, usize)> {
    let byte = *text.get(at)?;
    match BASE64[usize::from(byte)] {
        NOT_BASE64 => None,
        PAD => Some((Base64::Pad, 1)),
        // The character itself is no base64: only one of its escapes can be.
        ESCAPE => units(text, at)
            .iter()
            .skip(1)
            .filter(|u| u.spelt == 1)
            .find_map(|u| match BASE64[usize::from(u.bytes[0])] {
                PAD => Some((Base64::Pad, u.len())),
                value if value < 64 => Some((Base64::Sextet(value), u.len())),
                _ => None,
            }),
        value => Some((Base64::Sextet(value), 1)),
    }
}

const NOT_BASE64: u8 = 0xff;
const PAD: u8 = 64;
const ESCAPE: u8 = 65;

/// Each byte's value as a base64 character (either alphabet), or [`PAD`], [`ESCAPE`] (it may
/// begin an escaped one), [`NOT_BASE64`].
const BASE64: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            table[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    table[b'+' as usize] = 62;
    table[b'-' as usize] = 62;
    table[b'/' as usize] = 63;
    table[b'_' as usize] = 63;
    table[b'=' as usize] = PAD;
    table[b'%' as usize] = ESCAPE;
    table[b'\\' as usize] = ESCAPE;
    table[b'&' as usize] = ESCAPE;
    table[b'~' as usize] = ESCAPE;
    table
};

/// Base64 `sextets` decoded into `out` (cleared first); a last incomplete group gives the
/// whole bytes it holds.
fn decode_base64(sextets: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for group in sextets.chunks(4) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &s)| acc | u32::from(s) << (18 - 6 * i));
        let whole = group.len() * 6 / 8;
        out.extend_from_slice(&bits.to_be_bytes()[1..1 + whole]);
    }
}

/// Credential values shorter than this are not masked as free text: masking `"ab"` everywhere
/// would garble a report more than it protects (no real token is that short).
const MIN_ISSUED: usize = 4;

/// Names of JSON members, query parameters and fields whose values are credentials.
const CREDENTIAL_NAMES: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "mfa_token",
    "device_code",
    "user_code",
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "client_assertion",
    "assertion",
    "subject_token",
    "actor_token",
    "issued_token",
    "session_token",
    "login_ticket",
    "oob_code",
    "binding_code",
    "recovery_code",
    "otp",
    "token",
    "secret",
];

/// Whether a member or parameter of this name carries a credential.
pub fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&name.as_str())
        || name.ends_with("_token")
        || name.ends_with("_secret")
        || name.ends_with("_password")
}

/// The credentials a response hands out, so that reports say a token was issued, not what it
/// was: values (strings, and numbers as their text) of credential members of a JSON body at any
/// depth (an error body's `code` is an error code, not an authorization code, so `code` counts
/// only in a redirect), credential parameters of a `Location` URL (query or fragment), and the
/// values of `Set-Cookie`.
///
/// A client may read a body that is not strictly JSON (a BOM, an XSSI prefix `)]}',`, trailing
/// data, a duplicate member whose first value serde drops, JSON inside a JSON string), and a
/// `Location` the URL parser rejects: those are scanned leniently as well ([`scanned_members`],
/// [`location_parameters`]).
pub fn issued_credentials(response: &Response) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&response.body) {
        credential_members(&body, &mut found);
    }
    scanned_members(&response.body, &mut found);
    for (name, value) in &response.headers {
        if name == "set-cookie" {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((_, cookie)) = pair.split_once('=') {
                found.push(cookie.trim().trim_matches('"').to_owned());
            }
        } else if name == "location" {
            location_parameters(value, &mut found);
        }
    }
    found.retain(|v| v.chars().count() >= MIN_ISSUED);
    found.sort_unstable();
    found.dedup();
    found
}

/// The credential parameters of a `Location` URL, as the URL parser reads it and, since a
/// browser or client may still follow what it rejects (`https://app:99999/cb?code=…`,
/// `https://[::1/cb?code=…`), as split by hand: after the first `?` or `#`, pairs split on `&`
/// and `;` (and the `#` that starts the fragment), percent-decoded.
fn location_parameters(value: &str, found: &mut Vec<String>) {
    let parsed = url::Url::parse(value)
        .or_else(|_| url::Url::parse("http://h/").and_then(|base| base.join(value)));
    if let Ok(url) = parsed {
        let fragment = url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes());
        for (key, v) in url.query_pairs().chain(fragment) {
            if is_credential_name(&key) {
                found.push(v.into_owned());
            }
        }
    }
    if let Some((_, parameters)) = value.split_once(['?', '#']) {
        for pair in parameters.split(['&', ';', '#', '?']) {
            for (key, v) in url::form_urlencoded::parse(pair.as_bytes()) {
                if is_credential_name(&key) {
                    found.push(v.into_owned());
                }
            }
        }
    }
}

fn credential_members(value: &serde_json::Value, found: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(members) => {
            for (key, v) in members {
                match v {
                    Value::String(s) if key != "code" && is_credential_name(key) => {
                        found.push(s.clone());
                    }
                    // `{"refresh_token": 12345678901}`: a number is a credential too.
                    Value::Number(n) if key != "code" && is_credential_name(key) => {
                        found.push(n.to_string());
                    }
                    other => credential_members(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| credential_members(i, found)),
        _ => {}
    }
}

/// How many times a body is unescaped (`\"` to `"`, `\\` to `\`) to find credential members of
/// JSON held in JSON strings: `"{\"access_token\":\"…\"}"`, and that inside another.
const MAX_NESTING: usize = 3;

/// The longest member name the lenient scan reads: every credential name is shorter.
const LONGEST_MEMBER: usize = 64;

/// Credential members found by reading the body as text, not parsing it: `"name"`, `:`, then a
/// string or a number, wherever they stand (after a BOM or an XSSI prefix, before trailing data,
/// each of duplicate members), and again in the body unescaped, up to [`MAX_NESTING`] times. Each
/// pass is one walk over the text, so the work is linear in the body.
fn scanned_members(body: &[u8], found: &mut Vec<String>) {
    let mut text = std::borrow::Cow::Borrowed(body);
    for _ in 0..=MAX_NESTING {
        scan_members(&text, found);
        if memchr::memmem::find(&text, b"\\\"").is_none() {
            break;
        }
        let mut unescaped = Vec::with_capacity(text.len());
        let mut i = 0;
        while let Some(&byte) = text.get(i) {
            match (byte, text.get(i + 1)) {
                (b'\\', Some(&next @ (b'"' | b'\\'))) => {
                    unescaped.push(next);
                    i += 2;
                }
                _ => {
                    unescaped.push(byte);
                    i += 1;
                }
            }
        }
        text = std::borrow::Cow::Owned(unescaped);
    }
}

/// One pass of [`scanned_members`]: each `"` may open a member's name; one that names a
/// credential and is followed by `:` has its value read, and the walk goes on after it.
fn scan_members(text: &[u8], found: &mut Vec<String>) {
    let json_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut at = 0;
    while let Some(quote) = memchr::memchr(b'"', &text[at..]) {
        let name_at = at + quote + 1;
        at = name_at;
        let Some((name, close)) = member_name(text, name_at) else {
            continue;
        };
        if name == "code" || !is_credential_name(&name) {
            continue;
        }
        let mut v = close + 1;
        v += text[v..].iter().take_while(|b| json_space(b)).count();
        if text.get(v) != Some(&b':') {
            continue;
        }
        v += 1;
        v += text[v..].iter().take_while(|b| json_space(b)).count();
        match text.get(v) {
            Some(b'"') => {
                // The string's end: the next quote that no backslash escapes.
                let mut end = v + 1;
                while let Some(&byte) = text.get(end) {
                    match byte {
                        b'"' => break,
                        b'\\' => end += 2,
                        _ => end += 1,
                    }
                }
                if end >= text.len() {
                    // No closing quote: nothing after this can open a name.
                    return;
                }
                let raw = &text[v..=end];
                let value = serde_json::from_slice::<String>(raw)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&raw[1..raw.len() - 1]).into());
                found.push(value);
                at = end + 1;
            }
            Some(b'-' | b'0'..=b'9') => {
                let len = text[v..]
                    .iter()
                    .take_while(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                    })
                    .count();
                found.push(String::from_utf8_lossy(&text[v..v + len]).into_owned());
                at = v + len;
            }
            _ => {}
        }
    }
}

/// The member name whose opening quote ends just before `at`, its escapes decoded
/// (`access\u005ftoken`, `\/`), and where its closing quote stands: none if it holds more than
/// [`LONGEST_MEMBER`] characters, a character no credential name holds (not ASCII), or a broken
/// escape. Found in review: `{"access\u005ftoken":"…","access_token":"other"}` kept the first
/// value in clear (serde keeps the last, and the scan read only plain names).
fn member_name(text: &[u8], at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut i = at;
    for _ in 0..=LONGEST_MEMBER {
        match *text.get(i)? {
            b'"' => return Some((name, i)),
            b'\\' => {
                let (c, len) = match *text.get(i + 1)? {
                    b'u' => utf16_escape(text, i, b"\\u")?,
                    other => (json_simple(other)?, 2),
                };
                name.push(c);
                i += len;
            }
            byte if byte.is_ascii() => {
                name.push(char::from(byte));
                i += 1;
            }
            _ => return None,
        }
    }
    None
}

/// Text that came from outside, made safe to show: control characters (CR, ESC, BEL, the C1
/// controls such as CSI and NEL), the line and paragraph separators, and the invisible format
/// characters (bidirectional marks, embeddings and isolates, zero-width ones, tags) are shown
/// escaped (`\r`, `\t`, `\u{1b}`, `\u{2028}`), so that no escape sequence reaches a terminal,
/// no log starts a line the reader cannot see, and no line can be rewritten under the reader's
/// eyes. A newline stays a newline only where `newlines` allows
/// (the layout then starts every line with its own prefix); elsewhere it is `\n`.
///
/// CI logs read some lines as commands: GitHub's runner takes a line that starts with `::`
/// (after spaces) as a workflow command, and `##[` anywhere in a line as an old-style one. So a
/// `::` at the start of the text or of a line is shown as `\u{3a}:` and every `##[` as
/// `#\u{23}[`: the server under test cannot add, hide or stop the run's annotations.
pub fn neutralise(text: &str, newlines: bool) -> String {
    if !text.chars().any(risky) && !text.contains("##[") && !text.trim_start().starts_with("::") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if line_start && rest.starts_with("::") {
            out.push_str("\\u{3a}");
            rest = &rest[1..];
            line_start = false;
            continue;
        }
        if rest.starts_with("##[") {
            out.push_str("#\\u{23}");
            rest = &rest[2..];
            line_start = false;
            continue;
        }
        match c {
            '\n' if newlines => {
                out.push('\n');
                line_start = true;
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // The runner trims leading white space before it looks for `::`.
            c if c.is_whitespace() && !risky(c) => out.push(c),
            c if risky(c) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:x}}}", c as u32));
                line_start = false;
            }
            c => {
                out.push(c);
                line_start = false;
            }
        }
        rest = &rest[len..];
    }
    out
}

/// Whether a terminal or a CI log may act on `c`, or it hides or reorders text: the controls
/// (C0, DEL, C1), the line and paragraph separators (U+2028, U+2029: JavaScript and some log
/// viewers start a line there), and every format character (Unicode's Cf: bidirectional marks,
/// embeddings, overrides and isolates, zero-width characters, the BOM, interlinear annotations,
/// tags), and the noncharacters (U+FDD0..=U+FDEF, and U+xFFFE and U+xFFFF of every plane).
fn risky(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
                // Noncharacters: XML 1.0 forbids U+FFFE and U+FFFF, so one made the JUnit
                // file unreadable; the others are as unfit to show.
                | '\u{fdd0}'..='\u{fdef}'
        )
        || (c as u32) & 0xfffe == 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    /// The secret of the issue "Untrusted input, round two", item 3.
    const SECRET: &str = "Sx/y+z9Q==";

    #[test]
    fn masks_raw_encoded_and_basic_forms() {
        let secret = "p@ss w/rd+\"1\"";
        let r = Redactor::new([secret]);
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let basic = STANDARD.encode(format!("client:{secret}"));
        let text = format!(
            "raw={secret} form={form} path={} json={} basic=Basic {basic}",
            form.replace('+', "%20"),
            serde_json::to_string(secret).unwrap()
        );
        let out = r.redact(&text);
        assert_eq!(
            out,
            r#"raw=*** form=*** path=*** json="***" basic=Basic ***"#
        );
    }

    #[test]
    fn masks_a_secret_in_a_url_path() {
        let secret = "s3cr3t/with +x&y=z\"";
        let r = Redactor::new([secret]);
        let mut url = url::Url::parse("http://h/").unwrap();
        url.set_path(&format!("/a/{secret}/b"));
        assert_eq!(r.redact(url.as_str()), "http://h/a/***/b");
    }

    /// See the issue "Untrusted input, round two", item 3: each of these echoes of the secret
    /// reached every report unmasked.
    #[test]
    fn masks_every_encoding_a_server_echoes_a_secret_in() {
        let r = Redactor::new([SECRET]);
        let echoes = [
            // PHP's json_encode escapes the slash.
            r#"{"e":"Sx\/y+z9Q=="}"#,
            // Any character as \uXXXX, upper or lower hex, mixed with \/.
            r#"{"e":"\u0053x\u002fy\u002Bz9Q\u003d\u003D"}"#,
            r#"{"e":"Sx\u002Fy+z9\u0051=="}"#,
            // JSON inside JSON.
            r#"{"e":"{\"s\":\"Sx\\\/y+z9Q\\u003d=\"}"}"#,
            // Percent-encoding in lower case, upper case, of some characters or all of them.
            "s=Sx%2fy%2bz9Q%3d%3d&x=1",
            "s=Sx%2Fy%2Bz9Q%3D%3D&x=1",
            "s=Sx/y%2Bz9Q==&x=1",
            "s=%53%78%2f%79%2b%7a%39%51%3d%3D&x=1",
            // Base64 and base64url, with and without padding.
            "b=U3gveSt6OVE9PQ== .",
            "b=U3gveSt6OVE9PQ .",
            "b=U3gveSt6OVE9PQ%3D%3D .",
            // HTML references: decimal, hex in either case, named.
            "<p>Sx&#47;y&#43;z9Q&#61;&#61;</p>",
            "<p>Sx&#x2F;y&#x2b;z9Q&#X3D;&equals;</p>",
            "<p>Sx&sol;y&plus;z9Q&equals;&#61</p>",
        ];
        for echo in echoes {
            let out = r.redact(echo);
            assert!(out.contains(MASK), "{echo} -> {out}");
            for (kept, text) in [
                ("{\"e\":\"", echo),
                ("s=", echo),
                ("b=", echo),
                ("<p>", echo),
            ] {
                if text.starts_with(kept) {
                    assert!(out.starts_with(kept), "{echo} -> {out}");
                }
            }
            assert!(!out.contains("z9"), "{echo} -> {out}");
        }
        assert_eq!(r.redact(echoes[0]), r#"{"e":"***"}"#);
        assert_eq!(r.redact(echoes[3]), r#"{"e":"{\"s\":\"***\"}"}"#);
        assert_eq!(r.redact(echoes[4]), "s=***&x=1");
        assert_eq!(r.redact(echoes[9]), "b=*** .");
        assert_eq!(r.redact(echoes[12]), "<p>***</p>");
        // A member named after the secret, in the JSON pointer of a schema violation.
        assert_eq!(r.redact("at /a/Sx~1y+z9Q==/b"), "at /a/***/b");
    }

    #[test]
    fn masks_a_secret_inside_a_longer_base64_blob_at_each_alignment() {
        let r = Redactor::new([SECRET]);
        for user in ["u", "us", "usr", "client-1"] {
            let credential = format!("{user}:{SECRET}");
            for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
                let text = format!("Authorization: Basic {}, ok", engine.encode(&credential));
                assert_eq!(r.redact(&text), "Authorization: Basic ***, ok", "{text}");
            }
            // RFC 6749 §2.3.1: client_secret_basic form-encodes both before base64.
            let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
            let text = format!("Basic {}", STANDARD.encode(format!("{user}:{form}")));
            assert_eq!(r.redact(&text), "Basic ***", "{text}");
            // Glued to the text before it, the blob is read from every offset.
            let text = format!("xBasic{}", STANDARD.encode(&credential));
            assert_eq!(r.redact(&text), "***", "{text}");
        }
    }

    /// See the issue "Untrusted input, round two", item 3: with `--var client_id=test-client
    /// --secret client_secret=test` the curl line read `-u '***-client:***'`.
    #[test]
    fn a_secret_inside_a_public_value_is_left_whole() {
        let r = Redactor::for_run(&["test"], ["test-client", "audience", "test"]);
        assert_eq!(
            r.redact("curl -u 'test-client:***' --data-urlencode client_id=test-client"),
            "curl -u 'test-client:***' --data-urlencode client_id=test-client"
        );
        assert_eq!(
            r.redact("test, test-client, testtest-client, test%2Dclient, a test"),
            "***, test-client, ***test-client, test%2Dclient, a ***"
        );
        // A public value equal to a secret spares nothing.
        let r = Redactor::for_run(&["abcd"], ["abcd"]);
        assert_eq!(r.redact("id=abcd"), "id=***");
        // The base64 of a credential holds the secret outside the public value.
        let r = Redactor::for_run(&["test"], ["test-client"]);
        let basic = STANDARD.encode("test-client:test");
        assert_eq!(r.redact(&format!("Basic {basic}")), "Basic ***");
        assert_eq!(
            r.redact(&STANDARD.encode("test-client")),
            STANDARD.encode("test-client")
        );
    }

    #[test]
    fn masks_a_secret_cut_short() {
        let r = Redactor::new(["abcdefgh"]);
        assert_eq!(r.redact("body: xyzabcd…"), "body: xyz***…");
        assert_eq!(r.redact("\"abcdefgh\" and abc…"), "\"***\" and ***…");
        // Too short a start to tell from ordinary text, and no cut: left alone.
        assert_eq!(r.redact("ab… abcd"), "ab… abcd");
        // Encoded, and an escape cut in two.
        assert_eq!(r.redact("a=%61b\\u0063d%6…"), "a=***…");
        let r = Redactor::new([SECRET]);
        assert_eq!(r.redact("b=U3gveSt6…"), "b=***…");
    }

    #[test]
    fn overlapping_and_longer_secrets_are_masked_whole_and_empty_ones_ignored() {
        let r = Redactor::new(["abc", "abcdef", ""]);
        assert_eq!(r.redact("xabcdefx abc"), "x***x ***");
        assert_eq!(Redactor::new([""]).redact("text"), "text");
        // Neither secret may show a piece of itself beside the other's mask.
        let r = Redactor::new(["abcd", "cdefgh"]);
        assert_eq!(r.redact("<abcdefgh>"), "<***>");
    }

    #[test]
    fn ambiguous_escapes_are_read_every_way_without_blowing_up() {
        // `%25` is `%` or `%`,`2`,`5`; `\\` is one backslash or two; `&amp;` one `&` or five
        // characters. Every reading is tried once per place.
        let r = Redactor::new(["%25%25", "\\\\u0041", "&amp;&amp;"]);
        assert_eq!(r.redact("<%25%25>"), "<***>");
        assert_eq!(r.redact("<%2525%2525>"), "<***>");
        assert_eq!(r.redact("<\\\\\\\\u0041>"), "<***>");
        assert_eq!(r.redact("<&amp;amp;&amp;amp;>"), "<***>");
        let hostile = "%25".repeat(300) + &"\\\\".repeat(300) + &"&amp;".repeat(300);
        let r = Redactor::new(["%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%x", "\\\\\\\\\\\\\\\\\\\\x"]);
        assert_eq!(r.redact(&hostile), hostile);
    }

    /// A server that issues a credential made of backslashes and answers with a body of them
    /// cannot make a run read it for long: past a bound the rest is masked unread.
    #[test]
    fn a_text_of_ambiguous_escapes_is_masked_past_a_bound_of_work() {
        let credential = "\\".repeat(5_000) + "x";
        let r = Redactor::new([credential.as_str()]);
        let text = "ok ".to_owned() + &"\\".repeat(100_000);
        assert_eq!(r.redact(&text), "ok ***");
    }

    #[test]
    fn surrogate_pairs_and_multibyte_characters_are_read_whole() {
        let r = Redactor::new(["k€y😀z"]);
        assert_eq!(r.redact(r#""k\u20ACy\ud83d\uDE00z""#), "\"***\"");
        assert_eq!(r.redact("k%E2%82%ACy%F0%9F%98%80z."), "***.");
        assert_eq!(r.redact("k&#8364;y&#x1F600;z."), "***.");
        // Half a pair is no character.
        assert_eq!(r.redact(r#""k\u20ACy\ud83dz""#), r#""k\u20ACy\ud83dz""#);
    }

    /// Found in review: messages quote server text with `{:?}`, which escapes control, format
    /// and grapheme-extending characters (`\u{e31}`, `\u{301}`), so a secret holding one was
    /// shown unmasked: `got 39 bytes starting "not json: สว\u{e31}สด\u{e35}Secret3 end"`.
    #[test]
    fn masks_a_secret_in_rust_debug_escapes_and_as_neutralised() {
        let secrets = [
            "สวัสดีSecret3",
            "e\u{301}tudiant-42",
            "TOP\u{ad}SECRET",
            "TOPSECRET\x01xyz",
            "it's\0\"q\"\\x\u{202e}",
        ];
        for secret in secrets {
            let r = Redactor::new([secret]);
            let debug = format!("{secret:?}");
            let forms = [
                debug[1..debug.len() - 1].to_owned(),
                secret.escape_debug().to_string(),
                secret.escape_default().to_string(),
                neutralise(secret, false),
                // JSON (a report) of a Debug-escaped message.
                serde_json::to_string(&debug).unwrap(),
            ];
            for form in forms {
                let text = format!("got 39 bytes starting \"not json: {form} end\"");
                let out = r.redact(&text);
                assert!(out.contains(MASK), "{secret:?}: {text} -> {out}");
                assert!(!out.contains("ECRET") && !out.contains("ecret3"), "{out}");
                assert!(!out.contains("tudiant") && !out.contains("xyz"), "{out}");
            }
        }
        let r = Redactor::new(["สวัสดีSecret3"]);
        let shown = format!("{:?}", "not json: สวัสดีSecret3 end");
        assert_eq!(r.redact(&shown), "\"not json: *** end\"");
        // Rust's escape mixed with the others, and cut in two.
        let r = Redactor::new(["ab\u{1}cdé"]);
        assert_eq!(r.redact(r"<a%62\u{1}c\u0064\u{e9}>"), "<***>");
        assert_eq!(r.redact(r"x ab\u{1}c…"), "x ***…");
        // No escape: braces without hex, too many digits, not a character.
        let r = Redactor::new(["a\u{1}b"]);
        for kept in ["a\\u{}b", "a\\u{0000001}b", "a\\u{d800}b", "a\\u{1b"] {
            assert_eq!(r.redact(kept), kept);
        }
    }

    #[test]
    fn outside_text_cannot_steer_a_terminal_or_a_ci_log() {
        assert_eq!(neutralise("plain text: a::b", false), "plain text: a::b");
        assert_eq!(
            neutralise("oops\r::error file=README.md::INJECTED", false),
            "oops\\r::error file=README.md::INJECTED"
        );
        assert_eq!(
            neutralise("::stop-commands::tok", false),
            "\\u{3a}:stop-commands::tok"
        );
        assert_eq!(
            neutralise("a\n  ::error::x\n\u{a0}::warning::y", true),
            "a\n  \\u{3a}:error::x\n\u{a0}\\u{3a}:warning::y"
        );
        assert_eq!(neutralise("a\n::error::x", false), "a\\n::error::x");
        assert_eq!(
            neutralise(
                "x ##[error]y \u{1b}[31mred\u{1b}]0;title\u{7}\u{9b}2J\u{202e}",
                false
            ),
            "x #\\u{23}[error]y \\u{1b}[31mred\\u{1b}]0;title\\u{7}\\u{9b}2J\\u{202e}"
        );
        assert_eq!(neutralise("tab\there", true), "tab\\there");
        // Nothing that it leaves can begin a workflow command on any line.
        let hostile = "\r\n \t::x::y\n##[group]z\r::a::b";
        for line in neutralise(hostile, true).lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
            assert!(!line.contains(['\r', '\u{1b}']), "{line}");
        }
    }

    /// See the issue "Untrusted input, round two", item 3: the line and paragraph separators and
    /// NEL passed as they were.
    #[test]
    fn separators_and_every_invisible_format_character_are_shown_escaped() {
        assert_eq!(
            neutralise("a\u{2028}::error::x\u{2029}b\u{85}c", true),
            "a\\u{2028}::error::x\\u{2029}b\\u{85}c"
        );
        let risky_chars = [
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            '\u{80}',
            '\u{85}',
            '\u{9f}',
            '\u{ad}',
            '\u{61c}',
            '\u{180e}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{206f}',
            '\u{feff}',
            '\u{fff9}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
            // Found in review: noncharacters made the JUnit file invalid XML 1.0.
            '\u{fdd0}',
            '\u{fdef}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{1fffe}',
            '\u{10ffff}',
        ];
        for c in risky_chars {
            let shown = neutralise(&format!("a{c}b"), true);
            assert_eq!(
                shown,
                format!("a\\u{{{:x}}}b", c as u32),
                "U+{:04X}",
                c as u32
            );
        }
        for c in [
            'é', '€', '\u{a0}', '\u{3000}', 'ß', '😀', '\u{301}', '\u{fdcf}', '\u{fffd}',
        ] {
            assert_eq!(neutralise(&format!("a{c}b"), true), format!("a{c}b"));
        }
    }

    #[test]
    fn issued_credentials_are_found_at_any_depth_in_bodies_cookies_and_redirects() {
        let response = Response {
            status: 200,
            headers: vec![
                ("set-cookie".into(), "auth0=sess-abcdef; Path=/; HttpOnly".into()),
                (
                    "location".into(),
                    "https://app/cb?code=authcode1&state=st#id_token=idtok1".into(),
                ),
            ],
            body: br#"{"access_token":"at-12345","token_type":"Bearer","nested":{"refresh_token":"rt-12345","list":[{"mfa_token":"mfa-1234"}]},"code":"invalid_password","x":"ab"}"#.to_vec(),
            truncated: false,
        };
        let mut found = issued_credentials(&response);
        found.sort();
        assert_eq!(
            found,
            [
                "at-12345",
                "authcode1",
                "idtok1",
                "mfa-1234",
                "rt-12345",
                "sess-abcdef"
            ]
        );
        assert!(is_credential_name("Client_Secret") && is_credential_name("x_token"));
        assert!(!is_credential_name("token_type") && !is_credential_name("error"));
    }

    fn issued_by(body: &[u8], location: Option<&str>) -> Vec<String> {
        let response = Response {
            status: 200,
            headers: location
                .map(|l| ("location".to_owned(), l.to_owned()))
                .into_iter()
                .collect(),
            body: body.to_vec(),
            truncated: false,
        };
        issued_credentials(&response)
    }

    /// Found in review: a credential issued as a JSON number was never collected.
    #[test]
    fn numeric_credentials_are_issued_credentials() {
        let body = br#"{"access_token":"at-12345","refresh_token":12345678901,"expires_in":86400,"x_token":-1.5e3,"id_token":12}"#;
        assert_eq!(
            issued_by(body, None),
            ["-1.5e3", "-1500.0", "12345678901", "at-12345"]
        );
    }

    /// Found in review: only a strictly valid JSON body was read, so each of these kept its
    /// token in clear in every output.
    #[test]
    fn credentials_are_found_in_bodies_that_are_not_strictly_json() {
        let bodies: [&[u8]; 7] = [
            br#"{"access_token":"eyFIRST123","access_token":"x"}"#,
            "\u{feff}{\"access_token\":\"eyFIRST123\"}".as_bytes(),
            b")]}',\n{\"access_token\": \"eyFIRST123\"}",
            br#"{"access_token":"eyFIRST123"} trailing"#,
            br#""{\"access_token\":\"eyFIRST123\"}""#,
            br#"{"a":"{\"b\":\"{\\\"refresh_token\\\":\\\"eyFIRST123\\\"}\"}"}"#,
            br#"{"access_token" : "ey\u0046IRST123", "broken": "#,
        ];
        for body in bodies {
            let found = issued_by(body, None);
            assert!(
                found.iter().any(|f| f == "eyFIRST123"),
                "{}: {found:?}",
                String::from_utf8_lossy(body)
            );
        }
        // An error code, a name inside a value, and an unterminated value are no credentials.
        let body = br#"{"code":"invalid_password","error":"access_token","x":"\"token\": 12345", "y": {"secret": "abcd"#;
        assert_eq!(issued_by(body, None), ["12345"]);
        // A body of nothing but member openings is one walk (each value read ends where the
        // next opening starts), not one per opening.
        let hostile = r#""access_token":""#.repeat(50_000);
        assert!(issued_by(hostile.as_bytes(), None).is_empty());
    }

    /// Found in review: a body of 20,000 members `"tN_token":"<4 chars>"` and a 360 KB error
    /// made one case take 21 s of CPU: every credential was a needle, with no bound.
    #[test]
    fn the_work_of_one_text_is_bounded_and_never_leaks() {
        let started = std::time::Instant::now();
        let tokens: Vec<String> = (0..20_000).map(|i| format!("k{i:05}")).collect();
        let mut r = Redactor::new(["Sup3rSecret"]);
        tokens.iter().for_each(|t| r.add(t));
        let long = "abcdefgh ".repeat(40_000);
        // Too many to search for each: every text is masked whole, numbers too.
        assert_eq!(r.redact(&long), MASK);
        assert_eq!(r.redact("nothing here"), MASK);
        assert_eq!(r.redact(""), "");
        assert!(r.is_secret_number(42.0));
        // Few enough, but a long text: read until the budget is spent, the rest masked.
        let mut r = Redactor::new(["Sup3rSecret"]);
        tokens[..200].iter().for_each(|t| r.add(t));
        let text = format!("{long}k00007 Sup3rSecret");
        assert_eq!(r.redact(&text), MASK);
        let b64 = format!("{}U3VwM3JTZWNyZXQ", "QUJDREVGR0g ".repeat(40_000));
        assert!(!r.redact(&b64).contains("U3VwM3JTZWNyZXQ"));
        // Ordinary texts are read whole.
        assert_eq!(r.redact("a k00007 b Sup3rSecret c"), "a *** b *** c");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    /// Found in review: serde_json reads a number longer than u64 as a float, and messages
    /// showed a secret of digits as `9.876543210987654e22`.
    #[test]
    fn a_secret_that_is_a_number_is_masked_as_its_float_is_written() {
        let r = Redactor::new(["98765432109876543210987"]);
        for shown in [
            "9.876543210987654e22",
            "9.876543210987654e+22",
            "9.876543210987654E22",
            "98765432109876540000000",
            "98765432109876543210987",
        ] {
            assert_eq!(
                r.redact(&format!("got {shown}, x")),
                "got ***, x",
                "{shown}"
            );
        }
        assert!(r.is_secret_number(9.876_543_210_987_654e22));
        assert!(!r.is_secret_number(9.876_543_210_987_6e22));
        let r = Redactor::new(["-1.5e3"]);
        assert_eq!(r.redact("[-1500.0, -1.5e3, -1500]"), "[***, ***, ***]");
        for not_a_number in ["1e", "e10", "1.2.3", "abc", "--1"] {
            assert!(number_of(not_a_number).is_none(), "{not_a_number}");
        }
    }

    /// Found in review: a body preview cut at a byte limit inside a character of the secret,
    /// decoded lossily, showed all of the secret before it (`Sup3rSecretPassw\u{fffd}…`).
    #[test]
    fn a_secret_cut_inside_a_character_is_masked() {
        let secret = "Sup3rSecretPassw€rd";
        let r = Redactor::new([secret]);
        let euro = secret.find('€').unwrap();
        for split in 1..3 {
            let bytes = format!("{{\"error\":\"{secret}\"}}");
            let at = bytes.find('€').unwrap() + split;
            let mut shown = String::from_utf8_lossy(&bytes.as_bytes()[..at]).into_owned();
            shown.push(CUT);
            let out = r.redact(&shown);
            assert!(out.starts_with("{\"error\":\"***"), "{shown} -> {out}");
            assert!(!out.contains(&secret[..MIN_PARTIAL]), "{shown} -> {out}");
            // Escaped as JSON before the split character.
            let escaped = format!("x {}\\u0073sw{}{CUT}", &secret[..euro - 3], '\u{fffd}');
            assert!(r.redact(&escaped).starts_with("x ***"), "{escaped}");
        }
        // Replacement characters elsewhere change nothing.
        let kept = format!("Sup3r \u{fffd}\u{fffd} Sup{CUT}x\u{fffd}");
        assert_eq!(
            r.redact(&kept),
            format!("Sup3r \u{fffd}\u{fffd} ***{CUT}x\u{fffd}")
        );
    }

    /// Found in review: a member name written with escapes was not read as a name, so its
    /// value leaked where serde could not read it (an XSSI prefix, a BOM, JSON inside a JSON
    /// string) or dropped it (a duplicate member, serde keeps the last).
    #[test]
    fn escaped_member_names_are_read_as_names() {
        let bodies: [&[u8]; 5] = [
            br#"{"access\u005ftoken":"tokLEAKED424242","access_token":"other"}"#,
            b")]}',\n{\"access\\u005Ftoken\": \"tokLEAKED424242\"}",
            "\u{feff}{\"refresh\\u005ftoken\":\"tokLEAKED424242\"}".as_bytes(),
            br#""{\"\\u0069d_token\":\"tokLEAKED424242\"}""#,
            br#"{"x_\u0074oken" : "tokLEAKED424242", "broken": "#,
        ];
        for body in bodies {
            let found = issued_by(body, None);
            assert!(
                found.iter().any(|f| f == "tokLEAKED424242"),
                "{}: {found:?}",
                String::from_utf8_lossy(body)
            );
        }
        // Escaped or not, an error code and a name in a value are no credentials.
        let body = br#"{"c\u006fde":"abcdef","error":"access\u005ftoken","x":"y"}"#;
        assert!(issued_by(body, None).is_empty());
    }

    /// Found in review: a `Location` that the URL parser rejects kept its `code` in clear.
    #[test]
    fn a_location_the_url_parser_rejects_is_split_by_hand() {
        for location in [
            "https://app.example:99999/cb?code=LOCCODEBADPORT1&state=s",
            "https://[::1/cb?state=s;code=LOCCODEBADPORT1",
            "https://app.example:99999/cb#id_token=x;code=LOC%43ODEBADPORT1",
        ] {
            let found = issued_by(b"", Some(location));
            assert!(
                found.contains(&"LOCCODEBADPORT1".to_owned()),
                "{location}: {found:?}"
            );
        }
    }
}

/// Property tests: a secret of printable ASCII and some Unicode, written in each encoding inside
/// other text, is masked whole, and nothing around it changes.
#[cfg(test)]
mod properties {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use proptest::prelude::*;

    /// How a secret is written in the text.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Encoding {
        Plain,
        Percent,
        Form,
        Json,
        JsonTwice,
        Html,
        Base64,
        Base64Url,
    }

    fn secret() -> impl Strategy<Value = String> {
        "[ -~éß€中😀]{4,40}"
    }

    /// Text around the secret: never a character a secret holds, so the mask's edges are known.
    fn around() -> impl Strategy<Value = String> {
        "[αβγδ ]{0,12}"
    }

    fn hex(byte: u32, upper: bool, width: usize) -> String {
        if upper {
            format!("{byte:0width$X}")
        } else {
            format!("{byte:0width$x}")
        }
    }

    /// `secret` in `encoding`; `choices` pick, character by character, which of the forms the
    /// encoding allows is used (escaped or not, upper or lower hex).
    fn encode(secret: &str, encoding: Encoding, choices: &[u8], blob: (&str, &str)) -> String {
        let mut out = String::new();
        let pick = |i: usize| choices.get(i % choices.len().max(1)).copied().unwrap_or(0);
        for (i, c) in secret.chars().enumerate() {
            let (choice, upper) = (pick(i), pick(i) & 1 == 1);
            match encoding {
                Encoding::Plain => out.push(c),
                Encoding::Percent | Encoding::Form => {
                    if encoding == Encoding::Form && c == ' ' {
                        out.push('+');
                    } else if choice % 3 == 0 && c != '%' {
                        out.push(c);
                    } else {
                        let mut buf = [0; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            out.push('%');
                            out.push_str(&hex(u32::from(b), upper, 2));
                        }
                    }
                }
                Encoding::Json => out.push_str(&json_char(c, choice)),
                Encoding::JsonTwice => {
                    let once = json_char(c, choice);
                    let twice = serde_json::to_string(&once).unwrap();
                    let twice = &twice[1..twice.len() - 1];
                    out.push_str(&if choice % 2 == 0 {
                        twice.replace('/', "\\/")
                    } else {
                        twice.to_owned()
                    });
                }
                Encoding::Html => out.push_str(&html_char(c, choice)),
                Encoding::Base64 | Encoding::Base64Url => {}
            }
        }
        let blob = format!("{}{secret}{}", blob.0, blob.1);
        match encoding {
            Encoding::Base64 => STANDARD.encode(blob),
            Encoding::Base64Url => URL_SAFE_NO_PAD.encode(blob),
            _ => out,
        }
    }

    fn json_char(c: char, choice: u8) -> String {
        let mut units = [0; 2];
        let escaped: String = c
            .encode_utf16(&mut units)
            .iter()
            .map(|u| format!("\\u{}", hex(u32::from(*u), choice & 1 == 1, 4)))
            .collect();
        match (c, choice % 3) {
            ('"' | '\\', 0) => format!("\\{c}"),
            ('/', 0) => "\\/".to_owned(),
            ('"' | '\\', _) => escaped,
            (_, 0) => escaped,
            _ => c.to_string(),
        }
    }

    fn html_char(c: char, choice: u8) -> String {
        let named = HTML_NAMES
            .iter()
            .find(|(_, n)| *n == c)
            .map(|(name, _)| name);
        match (choice % 4, named) {
            (0, _) => format!("&#{};", c as u32),
            (1, _) => format!("&#x{};", hex(c as u32, choice & 4 == 4, 1)),
            (2, Some(name)) => format!("&{name};"),
            _ => c.to_string(),
        }
    }

    fn encoding() -> impl Strategy<Value = Encoding> {
        prop::sample::select(vec![
            Encoding::Plain,
            Encoding::Percent,
            Encoding::Form,
            Encoding::Json,
            Encoding::JsonTwice,
            Encoding::Html,
            Encoding::Base64,
            Encoding::Base64Url,
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

        #[test]
        fn a_secret_is_masked_in_every_encoding_and_nothing_around_it_changes(
            secret in secret(),
            encoding in encoding(),
            choices in prop::collection::vec(any::<u8>(), 1..8),
            blob in ("[ -~]{0,5}", "[ -~]{0,5}"),
            before in around(),
            after in around(),
        ) {
            let r = Redactor::new([secret.as_str()]);
            let encoded = encode(&secret, encoding, &choices, (&blob.0, &blob.1));
            let text = format!("{before} {encoded} {after}");
            let out = r.redact(&text);
            prop_assert_eq!(&out, &format!("{before} {MASK} {after}"), "{:?}: {}", encoding, text);
        }

        #[test]
        fn text_that_holds_no_secret_is_left_as_it_was(
            // Without the characters that begin an escape, so that no escape in the text
            // can be read as the secret's own characters.
            secret in r"[ -$'-*,-\[\]-~éß€中😀]{12,40}",
            words in prop::collection::vec(prop_oneof![
                ".{0,12}",
                "[A-Za-z0-9+/_-]{4,40}={0,2}",
                Just("%2F".to_owned()),
                Just("\\/".to_owned()),
                Just("\\\\u00".to_owned()),
                Just("&amp;".to_owned()),
                Just("&#x".to_owned()),
                Just("+".to_owned()),
                Just("…".to_owned()),
            ], 0..24),
            near in encoding(),
            choices in prop::collection::vec(any::<u8>(), 1..8),
        ) {
            // A near miss: the secret but its last character, in an encoding, then a character
            // no secret holds.
            let mut chars: Vec<char> = secret.chars().collect();
            chars.pop();
            let near_miss: String = chars.into_iter().collect();
            let near_miss = encode(&near_miss, near, &choices, ("", ""));
            let text = words.join(" ") + " " + &near_miss + "ω";
            prop_assume!(!text.contains(&secret));
            let r = Redactor::new([secret.as_str()]);
            prop_assert_eq!(r.redact(&text), text);
        }
    }
}
