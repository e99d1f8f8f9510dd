//! Statements given their meaning: the menu a command runs in (an absolute `/ip ipsec peer`,
//! or relative to the menu the script last moved to), the command, what it applies to
//! (`[ find default=yes ]`, `default`, `0`) and its `name=value` arguments.
//!
//! As at the console, a statement that is only a path moves the script into that menu, and a
//! command with a path runs there without moving the script (`/ip ipsec policy` then
//! `group add ...` then `add ...` adds a group, then a policy).

use super::lexer::{Piece, Statement, Text, Word, join_pieces};
use super::menus::{self, Menu, Node};

/// One command, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub line: usize,
    /// The menu path as understood, for messages: `/ip ipsec peer`, `/ip firewall nat`.
    pub path: String,
    /// The menu, when it is one the importer reads.
    pub menu: Option<Menu>,
    /// The command word (`add`, `set`, ...); empty when the statement has none.
    pub verb: String,
    /// Words without `=`: what `set`, `remove` or `move` apply to.
    pub positional: Vec<Positional>,
    pub args: Vec<Arg>,
    /// Refers to a script variable somewhere.
    pub uses_variable: bool,
}

impl Command {
    /// `/ip ipsec peer add`.
    pub fn describe(&self) -> String {
        if self.verb.is_empty() {
            self.path.clone()
        } else {
            format!("{} {}", self.path, self.verb)
        }
    }
}

/// A word without `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Positional {
    /// Item numbers as `print` shows them: `0`, `1,3`.
    Numbers(Vec<usize>),
    /// `[ find ... ]`.
    Find(Find),
    /// Anything else: an entry's name (`set default`), a property name (`unset 0 comment`).
    Word(Text),
}

/// A `[ find ... ]` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Find {
    /// `find`, `find where`, with `property=value` conditions that must all hold.
    Conditions(Vec<(String, Text)>),
    /// A form the importer does not evaluate (`~`, `!=`, `or`, a nested command), as written.
    Unsupported(String),
}

/// `name=value`, or `!name` (unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// The property as written (possibly abbreviated).
    pub name: String,
    pub value: ArgValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    Text(Text),
    /// `!name`: back to the default.
    Unset,
    /// The value is a `[ ... ]` command's result, unknown to an import.
    Computed,
}

/// What a statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Command(Command),
    /// The script moved to another menu.
    MovedTo(String),
    /// A scripting command (`:put`, `:local`, `/put`) as written, not configuration.
    Script {
        line: usize,
        name: String,
    },
}

/// Turns statements into commands, following the script from menu to menu.
#[derive(Debug, Default)]
pub struct CommandParser {
    current: Vec<String>,
}

fn is_plain(word: &Word) -> Option<&str> {
    word.bare().filter(|w| !w.contains('='))
}

impl CommandParser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn parse(&mut self, statement: &Statement) -> Parsed {
        let words = &statement.words;
        let mut rest = &words[..];
        // `{ ... }` only scopes a script's variables: the commands inside are as without it.
        while let [first, inner @ ..] = rest
            && first.bare() == Some("{")
        {
            rest = inner;
        }
        while let [inner @ .., last] = rest
            && last.bare() == Some("}")
        {
            rest = inner;
        }
        let mut path = self.current.clone();
        if let Some(first) = rest.first().and_then(Word::bare) {
            if first.starts_with(':') {
                return Parsed::Script {
                    line: statement.line,
                    name: first.to_owned(),
                };
            }
            if let Some(absolute) = first.strip_prefix('/') {
                path.clear();
                for part in absolute.split('/').filter(|p| !p.is_empty()) {
                    push_menu(&mut path, part);
                }
                let root_menu = path.first().is_some_and(|p| menus::ROOT.child(p).is_some());
                if path.len() == 1
                    && !root_menu
                    && menus::SCRIPT_COMMANDS.contains(&path[0].as_str())
                {
                    return Parsed::Script {
                        line: statement.line,
                        name: format!("/{}", path[0]),
                    };
                }
                rest = &rest[1..];
            }
        }
        // Submenus named after the path (`group add` in /ip ipsec policy), and `..`.
        while let Some(word) = rest.first().and_then(is_plain) {
            if word == ".." {
                path.pop();
            } else if !is_submenu(&path, word) {
                break;
            } else {
                push_menu(&mut path, word);
            }
            rest = &rest[1..];
        }
        let shown = format!("/{}", path.join(" "));
        let Some((verb_word, args)) = rest.split_first() else {
            self.current = path;
            return Parsed::MovedTo(shown);
        };
        let menu = menus::node_at(&path).and_then(|n| n.menu);
        // A line of arguments with no command (a continuation the manual forgot).
        let (verb, args) = match is_plain(verb_word) {
            Some(verb) => (verb.to_owned(), args),
            None => (String::new(), rest),
        };
        let mut command = Command {
            line: statement.line,
            path: shown,
            menu,
            verb,
            positional: Vec::new(),
            args: Vec::new(),
            uses_variable: words.iter().any(|w| w.uses_variable),
        };
        for word in args {
            read_argument(word, &mut command);
        }
        Parsed::Command(command)
    }
}

/// Whether `word` is a submenu of the menu at `path`: a known one, or, below a menu whose
/// submenus are not all known, any word that is not a command.
fn is_submenu(path: &[String], word: &str) -> bool {
    match menus::node_at(path) {
        Some(node) if node.child(word).is_some() => true,
        Some(Node { complete: true, .. }) => false,
        _ => !menus::COMMANDS.contains(&word),
    }
}

/// Appends a menu name, spelt out in full where it abbreviates a known one.
fn push_menu(path: &mut Vec<String>, written: &str) {
    let name = menus::node_at(path)
        .and_then(|node| node.child(written))
        .map_or(written, |child| child.name);
    path.push(name.to_owned());
}

fn read_argument(word: &Word, command: &mut Command) {
    if let Some((name, value)) = word.assignment() {
        let value = match join_pieces(&value) {
            Some(text) => ArgValue::Text(text),
            None => ArgValue::Computed,
        };
        command.args.push(Arg {
            name: name.to_owned(),
            value,
        });
        return;
    }
    if let Some(name) = word.bare().and_then(|w| w.strip_prefix('!')) {
        command.args.push(Arg {
            name: name.to_owned(),
            value: ArgValue::Unset,
        });
        return;
    }
    if let Some(inner) = word.bracket() {
        command.positional.push(Positional::Find(read_find(inner)));
        return;
    }
    if let Some(numbers) = word.bare().and_then(parse_numbers) {
        command.positional.push(Positional::Numbers(numbers));
        return;
    }
    match word.text() {
        Some(text) => command.positional.push(Positional::Word(text)),
        None => command
            .positional
            .push(Positional::Find(Find::Unsupported(describe_word(word)))),
    }
}

/// `0`, `1,3`.
fn parse_numbers(word: &str) -> Option<Vec<usize>> {
    word.split(',').map(|n| n.parse().ok()).collect()
}

fn read_find(words: &[Word]) -> Find {
    let unsupported = || Find::Unsupported(format!("[ {} ]", describe_words(words)));
    let mut rest = words;
    match rest.first().and_then(Word::bare) {
        Some("find") => rest = &rest[1..],
        _ => return unsupported(),
    }
    if rest.first().and_then(Word::bare) == Some("where") {
        rest = &rest[1..];
    }
    let mut conditions = Vec::new();
    for word in rest {
        let Some((name, value)) = word.assignment() else {
            return unsupported();
        };
        let plain_name =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        match join_pieces(&value) {
            Some(value) if plain_name => conditions.push((name.to_owned(), value)),
            _ => return unsupported(),
        }
    }
    Find::Conditions(conditions)
}

/// A word as written, for messages: brackets shown, quotes restored, secrets left out.
fn describe_word(word: &Word) -> String {
    // `secret~"..."`, `password="..."`: a condition on a secret shows no value.
    if let Some(Piece::Bare(first)) = word.pieces.first() {
        let name: String = first
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if menus::is_secret(&name) {
            return format!("{name}(value hidden)");
        }
    }
    word.pieces
        .iter()
        .map(|p| match p {
            Piece::Bare(s) => s.clone(),
            Piece::Quoted(s) => format!("{:?}", s.as_str()),
            Piece::Bracket(words) => format!("[ {} ]", describe_words(words)),
        })
        .collect()
}

fn describe_words(words: &[Word]) -> String {
    words
        .iter()
        .map(describe_word)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::lexer::statements;
    use super::*;

    fn parse_all(text: &str) -> Vec<Parsed> {
        let mut parser = CommandParser::new();
        statements(text)
            .unwrap()
            .iter()
            .map(|s| parser.parse(s))
            .collect()
    }

    fn command(p: &Parsed) -> &Command {
        match p {
            Parsed::Command(c) => c,
            other => panic!("not a command: {other:?}"),
        }
    }

    fn text(s: &str) -> Text {
        Text::new(s.to_owned())
    }

    #[test]
    fn menus_absolute_relative_and_abbreviated() {
        let p = parse_all(
            "/ip ipsec policy\ngroup add name=rw\nadd template=yes\n/ip ipsec mode-conf add name=m\nadd x=1\n/ip/ipsec/peer add\n.. proposal add\n",
        );
        assert_eq!(p[0], Parsed::MovedTo("/ip ipsec policy".into()));
        let c = command(&p[1]);
        assert_eq!((c.menu, c.verb.as_str()), (Some(Menu::PolicyGroup), "add"));
        assert_eq!(c.path, "/ip ipsec policy group");
        assert_eq!(command(&p[2]).menu, Some(Menu::Policy));
        // A command with a path runs there and leaves the script where it was.
        assert_eq!(command(&p[3]).menu, Some(Menu::ModeConfig));
        assert_eq!(command(&p[4]).menu, Some(Menu::Policy));
        assert_eq!(command(&p[5]).menu, Some(Menu::Peer));
        assert_eq!(command(&p[6]).menu, Some(Menu::Proposal));
    }

    #[test]
    fn menus_outside_ipsec() {
        let p = parse_all(
            "/ip firewall nat add chain=srcnat\n/interface l2tp-server server\nset enabled=yes\n/certificate add name=ca\n:put hello\n/put [/certificate get [find] name]\n/ip ipsec\nremote-peers print\n",
        );
        let c = command(&p[0]);
        assert_eq!(
            (c.path.as_str(), c.menu, c.verb.as_str()),
            ("/ip firewall nat", None, "add")
        );
        assert_eq!(
            p[1],
            Parsed::MovedTo("/interface l2tp-server server".into())
        );
        assert_eq!(
            command(&p[2]).describe(),
            "/interface l2tp-server server set"
        );
        assert_eq!(command(&p[3]).describe(), "/certificate add");
        assert_eq!(
            p[4],
            Parsed::Script {
                line: 5,
                name: ":put".into()
            }
        );
        assert!(matches!(&p[5], Parsed::Script { name, .. } if name == "/put"));
        let c = command(&p[7]);
        assert_eq!(
            (c.menu, c.verb.as_str()),
            (Some(Menu::RemotePeers), "print")
        );
    }

    #[test]
    fn targets_and_arguments() {
        let p = parse_all(
            "/ip ipsec proposal\nset [ find default=yes ] enc-algorithms=aes-128-cbc !comment\nset default lifetime=8h\nset 0,2 disabled=yes\nset [find where name=\"rw\"] x=[/system identity get name]\nset [find name~\"rw\"]\n",
        );
        let c = command(&p[1]);
        assert_eq!(
            c.positional,
            vec![Positional::Find(Find::Conditions(vec![(
                "default".into(),
                text("yes")
            )]))]
        );
        assert_eq!(
            c.args,
            vec![
                Arg {
                    name: "enc-algorithms".into(),
                    value: ArgValue::Text(text("aes-128-cbc"))
                },
                Arg {
                    name: "comment".into(),
                    value: ArgValue::Unset
                }
            ]
        );
        assert_eq!(
            command(&p[2]).positional,
            vec![Positional::Word(text("default"))]
        );
        assert_eq!(
            command(&p[3]).positional,
            vec![Positional::Numbers(vec![0, 2])]
        );
        let c = command(&p[4]);
        assert_eq!(
            c.positional,
            vec![Positional::Find(Find::Conditions(vec![(
                "name".into(),
                text("rw")
            )]))]
        );
        assert_eq!(c.args[0].value, ArgValue::Computed);
        assert_eq!(
            command(&p[5]).positional,
            vec![Positional::Find(Find::Unsupported(
                "[ find name~\"rw\" ]".into()
            ))]
        );
    }

    #[test]
    fn blocks_hold_ordinary_commands() {
        let p = parse_all("/ip ipsec proposal\n{ /ip ipsec peer add name=a }\n{\nadd name=p\n}\n");
        assert_eq!(command(&p[1]).menu, Some(Menu::Peer));
        assert_eq!(p[2], Parsed::MovedTo("/ip ipsec proposal".into()));
        assert_eq!(command(&p[3]).menu, Some(Menu::Proposal));
        assert_eq!(p[4], Parsed::MovedTo("/ip ipsec proposal".into()));
    }

    #[test]
    fn a_line_of_arguments_has_no_command() {
        let p = parse_all(
            "/ip firewall filter\nadd chain=forward place-before=1\n src-address=10.1.101.0/24\n",
        );
        let c = command(&p[2]);
        assert_eq!(c.verb, "");
        assert_eq!(c.args.len(), 1);
    }
}
