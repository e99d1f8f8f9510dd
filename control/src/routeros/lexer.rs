//! RouterOS script text cut into statements and words, the way the console reads an export or
//! a `.rsc` script: a line ending in `\` continues on the next (whose indentation is dropped,
//! so exports may break a line even inside a word or a quoted string), `;` ends a statement as
//! a line break does, `#` at the start of a statement comments out the rest of the line,
//! quoted strings resolve the console's escapes, and `[ ... ]` holds a command whose result is
//! the value (`[ find default=yes ]`).
//!
//! Nothing here knows menus or properties; [`super::command`] gives the words their meaning.

use std::fmt;

use thiserror::Error;
use zeroize::Zeroizing;

/// Text that may hold a secret (a pre-shared key, a password): wiped when dropped.
pub type Text = Zeroizing<String>;

/// One part of a word: words such as `secret="a b"` mix unquoted and quoted parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Unquoted characters, as written.
    Bare(String),
    /// A quoted string with its escapes resolved.
    Quoted(Text),
    /// `[ ... ]`: the words of the command inside.
    Bracket(Vec<Word>),
}

/// A run of characters up to white space, `;` or the end of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Line and column (1-based, in characters) where the word starts.
    pub line: usize,
    pub column: usize,
    pub pieces: Vec<Piece>,
    /// Whether an unescaped `$` refers to a script variable, whose value an import cannot
    /// know.
    pub uses_variable: bool,
}

impl Word {
    /// The word when it is one unquoted run of characters (`add`, `/ip`, `default`).
    pub fn bare(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Bare(s)] => Some(s),
            _ => None,
        }
    }

    /// The word's text with its quoted parts unquoted; `None` if it holds a `[ ... ]`.
    pub fn text(&self) -> Option<Text> {
        join_pieces(&self.pieces)
    }

    /// `name=value`: the name before the first unquoted `=` of the word's first piece, and
    /// the pieces of the value after it.
    pub fn assignment(&self) -> Option<(&str, Vec<Piece>)> {
        let Some(Piece::Bare(first)) = self.pieces.first() else {
            return None;
        };
        let (name, rest) = first.split_once('=')?;
        let mut value = Vec::with_capacity(self.pieces.len());
        if !rest.is_empty() {
            value.push(Piece::Bare(rest.to_owned()));
        }
        value.extend(self.pieces[1..].iter().cloned());
        Some((name, value))
    }

    /// The `[ ... ]` contents when the word is exactly one bracket.
    pub fn bracket(&self) -> Option<&[Word]> {
        match self.pieces.as_slice() {
            [Piece::Bracket(words)] => Some(words),
            _ => None,
        }
    }
}

/// The text of `pieces` joined; `None` if one of them is a `[ ... ]`.
pub fn join_pieces(pieces: &[Piece]) -> Option<Text> {
    let mut out = Text::default();
    for piece in pieces {
        match piece {
            Piece::Bare(s) => out.push_str(s),
            Piece::Quoted(s) => out.push_str(s),
            Piece::Bracket(_) => return None,
        }
    }
    Some(out)
}

/// The words of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The line its first word is on.
    pub line: usize,
    pub words: Vec<Word>,
}

/// Text the console would refuse, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub kind: SyntaxErrorKind,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl std::error::Error for SyntaxError {}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SyntaxErrorKind {
    #[error(
        "unterminated quoted string; expected a closing \" before the end of the line (or \\ to continue it on the next)"
    )]
    UnterminatedQuote,
    #[error(
        "unknown escape \\{0} in a quoted string; expected \\\" \\\\ \\n \\r \\t \\$ \\? \\_ \\a \\b \\f \\v or two upper-case hex digits"
    )]
    BadEscape(String),
    #[error("[ is not closed; expected ] before the end of the command")]
    UnterminatedBracket,
    #[error("] without an opening [")]
    StrayBracket,
    #[error("[ ... ] nested more than {MAX_BRACKET_DEPTH} deep; expected fewer levels")]
    TooDeep,
    #[error("the quoted string's \\XX escapes do not spell UTF-8 text; expected UTF-8")]
    NotUtf8,
}

/// How deep `[ ... ]` may nest (RouterOS scripts use two or three levels; the limit keeps
/// hostile input from exhausting the stack).
pub const MAX_BRACKET_DEPTH: usize = 32;

/// Cuts a whole script into statements.
pub fn statements(text: &str) -> Result<Vec<Statement>, SyntaxError> {
    Lexer::new(text).statements()
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
    /// Brackets open around the current position.
    depth: usize,
}

impl Lexer {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            line: 1,
            column: 1,
            depth: 0,
        }
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, line: usize, column: usize, kind: SyntaxErrorKind) -> SyntaxError {
        SyntaxError { line, column, kind }
    }

    /// A line break here (`\n` or `\r\n`): how many characters it takes.
    fn line_break_len(&self, ahead: usize) -> Option<usize> {
        match (self.peek_at(ahead), self.peek_at(ahead + 1)) {
            (Some('\n'), _) => Some(1),
            (Some('\r'), Some('\n')) => Some(2),
            _ => None,
        }
    }

    /// At `\` that ends its line: joins the next line on, without its indentation (the
    /// console's line continuation).
    fn continuation(&mut self) -> bool {
        if self.peek() != Some('\\') {
            return false;
        }
        let Some(len) = self.line_break_len(1) else {
            return false;
        };
        for _ in 0..=len {
            self.bump();
        }
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
        true
    }

    /// Skips spaces, tabs, lone carriage returns and line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => {
                    self.bump();
                }
                Some('\r') if self.line_break_len(0).is_none() => {
                    self.bump();
                }
                Some('\\') if self.continuation() => {}
                _ => return,
            }
        }
    }

    fn statements(mut self) -> Result<Vec<Statement>, SyntaxError> {
        let mut out = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let flush = |words: &mut Vec<Word>, out: &mut Vec<Statement>| {
            if let Some(first) = words.first() {
                out.push(Statement {
                    line: first.line,
                    words: std::mem::take(words),
                });
            }
        };
        loop {
            self.skip_blanks();
            if let Some(len) = self.line_break_len(0) {
                for _ in 0..len {
                    self.bump();
                }
                flush(&mut words, &mut out);
                continue;
            }
            match self.peek() {
                None => break,
                Some(';') => {
                    self.bump();
                    flush(&mut words, &mut out);
                }
                Some('#') if words.is_empty() => {
                    while self.peek().is_some() && self.line_break_len(0).is_none() {
                        self.bump();
                    }
                }
                Some(']') => {
                    return Err(self.error(self.line, self.column, SyntaxErrorKind::StrayBracket));
                }
                Some(_) => words.push(self.word(false)?),
            }
        }
        flush(&mut words, &mut out);
        Ok(out)
    }

    fn word(&mut self, in_bracket: bool) -> Result<Word, SyntaxError> {
        let mut word = Word {
            line: self.line,
            column: self.column,
            pieces: Vec::new(),
            uses_variable: false,
        };
        let mut bare = String::new();
        let flush = |bare: &mut String, pieces: &mut Vec<Piece>| {
            if !bare.is_empty() {
                pieces.push(Piece::Bare(std::mem::take(bare)));
            }
        };
        loop {
            if self.continuation() {
                continue;
            }
            match self.peek() {
                None | Some(' ' | '\t' | '\n' | ';') => break,
                Some('\r') => break,
                Some(']') if in_bracket => break,
                Some(']') => {
                    return Err(self.error(self.line, self.column, SyntaxErrorKind::StrayBracket));
                }
                Some('"') => {
                    flush(&mut bare, &mut word.pieces);
                    let (text, uses_variable) = self.quoted()?;
                    word.uses_variable |= uses_variable;
                    word.pieces.push(Piece::Quoted(text));
                }
                Some('[') => {
                    flush(&mut bare, &mut word.pieces);
                    let inner = self.bracket()?;
                    word.uses_variable |= inner.iter().any(|w| w.uses_variable);
                    word.pieces.push(Piece::Bracket(inner));
                }
                Some(c) => {
                    word.uses_variable |= c == '$';
                    bare.push(c);
                    self.bump();
                }
            }
        }
        flush(&mut bare, &mut word.pieces);
        Ok(word)
    }

    /// A quoted string, from its opening `"`: its text, and whether it refers to a variable.
    fn quoted(&mut self) -> Result<(Text, bool), SyntaxError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let mut bytes: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
        let mut uses_variable = false;
        loop {
            if self.line_break_len(0).is_some() {
                return Err(self.error(line, column, SyntaxErrorKind::UnterminatedQuote));
            }
            match self.peek() {
                None => return Err(self.error(line, column, SyntaxErrorKind::UnterminatedQuote)),
                Some('"') => {
                    self.bump();
                    break;
                }
                Some('\\') => {
                    if self.continuation() {
                        continue;
                    }
                    let (escape_line, escape_column) = (self.line, self.column);
                    self.bump();
                    bytes.push(self.escape(escape_line, escape_column, line, column)?);
                }
                Some(c) => {
                    uses_variable |= c == '$';
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    self.bump();
                }
            }
        }
        let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
            // The bytes may be a secret: wiped as they drop.
            drop(Zeroizing::new(e.into_bytes()));
            self.error(line, column, SyntaxErrorKind::NotUtf8)
        })?;
        Ok((Zeroizing::new(text), uses_variable))
    }

    /// The byte an escape after `\` stands for (the console's list: `\"` `\\` `\n` `\r` `\t`
    /// `\$` `\?` `\_` for a space, `\a` `\b` `\f` `\v`, and `\XX` in upper-case hex).
    fn escape(
        &mut self,
        line: usize,
        column: usize,
        quote_line: usize,
        quote_column: usize,
    ) -> Result<u8, SyntaxError> {
        let hex = |c: Option<char>| c.filter(|c| c.is_ascii_digit() || ('A'..='F').contains(c));
        if let (Some(hi), Some(lo)) = (hex(self.peek()), hex(self.peek_at(1))) {
            self.bump();
            self.bump();
            let digits = [hi, lo].iter().collect::<String>();
            return u8::from_str_radix(&digits, 16)
                .map_err(|_| self.error(line, column, SyntaxErrorKind::BadEscape(digits)));
        }
        let Some(c) = self.peek() else {
            return Err(self.error(quote_line, quote_column, SyntaxErrorKind::UnterminatedQuote));
        };
        let byte = match c {
            '"' => b'"',
            '\\' => b'\\',
            'n' => b'\n',
            'r' => b'\r',
            't' => b'\t',
            '$' => b'$',
            '?' => b'?',
            '_' => b' ',
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0c,
            'v' => 0x0b,
            '\n' | '\r' => {
                return Err(self.error(
                    quote_line,
                    quote_column,
                    SyntaxErrorKind::UnterminatedQuote,
                ));
            }
            other => {
                return Err(self.error(
                    line,
                    column,
                    SyntaxErrorKind::BadEscape(other.to_string()),
                ));
            }
        };
        self.bump();
        Ok(byte)
    }

    /// `[ ... ]`, from its opening `[`: the words inside.
    fn bracket(&mut self) -> Result<Vec<Word>, SyntaxError> {
        let (line, column) = (self.line, self.column);
        if self.depth == MAX_BRACKET_DEPTH {
            return Err(self.error(line, column, SyntaxErrorKind::TooDeep));
        }
        self.depth += 1;
        let words = self.bracket_contents(line, column);
        self.depth -= 1;
        words
    }

    fn bracket_contents(&mut self, line: usize, column: usize) -> Result<Vec<Word>, SyntaxError> {
        self.bump();
        let mut words = Vec::new();
        loop {
            self.skip_blanks();
            if self.line_break_len(0).is_some() {
                return Err(self.error(line, column, SyntaxErrorKind::UnterminatedBracket));
            }
            match self.peek() {
                None => return Err(self.error(line, column, SyntaxErrorKind::UnterminatedBracket)),
                Some(']') => {
                    self.bump();
                    return Ok(words);
                }
                Some(';') => {
                    self.bump();
                }
                Some(_) => words.push(self.word(true)?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each statement as its words' texts (brackets shown as `[...]` with their words).
    fn shapes(text: &str) -> Vec<(usize, Vec<String>)> {
        fn show(w: &Word) -> String {
            w.pieces
                .iter()
                .map(|p| match p {
                    Piece::Bare(s) => s.clone(),
                    Piece::Quoted(s) => format!("«{}»", s.as_str()),
                    Piece::Bracket(ws) => {
                        format!("[{}]", ws.iter().map(show).collect::<Vec<_>>().join(" "))
                    }
                })
                .collect()
        }
        statements(text)
            .unwrap()
            .iter()
            .map(|s| (s.line, s.words.iter().map(show).collect()))
            .collect()
    }

    fn error(text: &str) -> SyntaxError {
        statements(text).unwrap_err()
    }

    #[test]
    fn words_and_statements() {
        assert_eq!(
            shapes("/ip ipsec peer\nadd address=192.0.2.1/32 secret=\"test\"\n"),
            vec![
                (1, vec!["/ip".into(), "ipsec".into(), "peer".into()]),
                (
                    2,
                    vec![
                        "add".into(),
                        "address=192.0.2.1/32".into(),
                        "secret=«test»".into()
                    ]
                ),
            ]
        );
        // `;` ends a statement as a line break does; blank lines and CRLF are nothing.
        assert_eq!(
            shapes("/ip pool add name=a ; /ip pool add name=b\r\n\r\n\n"),
            vec![
                (
                    1,
                    vec!["/ip".into(), "pool".into(), "add".into(), "name=a".into()]
                ),
                (
                    1,
                    vec!["/ip".into(), "pool".into(), "add".into(), "name=b".into()]
                ),
            ]
        );
    }

    #[test]
    fn continuations_join_lines_without_the_indentation() {
        // The manual's form: a space before the backslash separates the words.
        let s = shapes("add src-address=10.1.202.0/24 \\\nsa-src-address=192.168.90.1\n");
        assert_eq!(
            s,
            vec![(
                1,
                vec![
                    "add".into(),
                    "src-address=10.1.202.0/24".into(),
                    "sa-src-address=192.168.90.1".into()
                ]
            )]
        );
        // An export's form: broken inside a word, the next line indented by four spaces.
        let s = shapes("add name=RW-cfg split-include=\\\n    10.5.8.0/24,192.168.55.0/24\nadd\n");
        assert_eq!(
            s,
            vec![
                (
                    1,
                    vec![
                        "add".into(),
                        "name=RW-cfg".into(),
                        "split-include=10.5.8.0/24,192.168.55.0/24".into()
                    ]
                ),
                (3, vec!["add".into()]),
            ]
        );
        // And inside a quoted string, with CRLF line ends.
        let s = shapes("set comment=\"a long \\\r\n    comment\"\r\n");
        assert_eq!(
            s,
            vec![(1, vec!["set".into(), "comment=«a long comment»".into()])]
        );
    }

    #[test]
    fn quoting_and_escapes() {
        let s = shapes(r#"add secret="a \"b\" \\ c\_d\3D\t" name=x"y z"w"#);
        assert_eq!(
            s[0].1,
            vec![
                "add".to_owned(),
                "secret=«a \"b\" \\ c d=\t»".to_owned(),
                "name=x«y z»w".to_owned()
            ]
        );
        // Hex escapes spell UTF-8 bytes (exports write non-ASCII comments this way).
        let s = shapes(r#"add comment="\D0\9F""#);
        assert_eq!(s[0].1[1], "comment=«П»");
        let words = &statements(r#"add secret="x=y""#).unwrap()[0].words;
        let (name, value) = words[1].assignment().unwrap();
        assert_eq!(name, "secret");
        assert_eq!(join_pieces(&value).unwrap().as_str(), "x=y");
    }

    #[test]
    fn find_brackets_nest() {
        let s = shapes("set [ find default=yes ] enc-algorithms=aes-128-cbc\n");
        assert_eq!(
            s[0].1,
            vec![
                "set".to_owned(),
                "[find default=yes]".to_owned(),
                "enc-algorithms=aes-128-cbc".to_owned()
            ]
        );
        let s = shapes(r#"set [find name="rw-conf"] system-dns=no"#);
        assert_eq!(s[0].1[1], "[find name=«rw-conf»]");
        let s = shapes("/put [/certificate get [find common-name=RouterOS_client] name]");
        assert_eq!(
            s[0].1,
            vec![
                "/put".to_owned(),
                "[/certificate get [find common-name=RouterOS_client] name]".to_owned()
            ]
        );
    }

    #[test]
    fn comments_only_at_the_start_of_a_statement() {
        let s = shapes(
            "# jan/02/1970 00:00:00 by RouterOS 6.48\n# software id = \\\n/ip pool\n  # indented\nadd name=a#1 comment=\"#x\"\n",
        );
        assert_eq!(
            s,
            vec![
                (3, vec!["/ip".into(), "pool".into()]),
                (
                    5,
                    vec!["add".into(), "name=a#1".into(), "comment=«#x»".into()]
                ),
            ]
        );
    }

    #[test]
    fn variables_are_noticed() {
        let st = statements("add secret=$psk\nadd secret=\"$psk\"\nadd secret=\"\\$psk\"").unwrap();
        let uses: Vec<bool> = st.iter().map(|s| s.words[1].uses_variable).collect();
        assert_eq!(uses, [true, true, false]);
    }

    #[test]
    fn syntax_errors_say_where_and_what_was_expected() {
        let e = error("/ip ipsec peer\nadd secret=\"open\nadd x=1\n");
        assert_eq!((e.line, e.column), (2, 12));
        assert_eq!(
            e.to_string(),
            "line 2, column 12: unterminated quoted string; expected a closing \" before the end of the line (or \\ to continue it on the next)"
        );
        let e = error("add secret=\"open");
        assert_eq!(e.kind, SyntaxErrorKind::UnterminatedQuote);
        let e = error("set [ find name=x\nadd\n");
        assert_eq!(
            (e.line, e.column, e.kind),
            (1, 5, SyntaxErrorKind::UnterminatedBracket)
        );
        let e = error("set find ] x=1");
        assert_eq!(
            (e.line, e.column, e.kind),
            (1, 10, SyntaxErrorKind::StrayBracket)
        );
        let e = error("add comment=\"a\\qb\"");
        assert_eq!(
            (e.line, e.column, e.kind.clone()),
            (1, 15, SyntaxErrorKind::BadEscape("q".into()))
        );
        assert!(e.to_string().contains("expected \\\" \\\\ \\n"));
        let e = error("add comment=\"\\FF\"");
        assert_eq!(e.kind, SyntaxErrorKind::NotUtf8);
        let deep = format!("set {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = error(&deep);
        assert_eq!(
            (e.column, e.kind),
            (5 + MAX_BRACKET_DEPTH, SyntaxErrorKind::TooDeep)
        );
        let ok = format!(
            "set {}{}",
            "[".repeat(MAX_BRACKET_DEPTH),
            "]".repeat(MAX_BRACKET_DEPTH)
        );
        assert!(statements(&ok).is_ok());
    }
}
