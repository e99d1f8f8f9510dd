//! The RouterOS configuration a script builds, menu by menu: commands run against it as the
//! router would run them (`add` appends or goes `place-before`, `set` edits what its target
//! names, `remove`, `enable`, `disable`, `unset`, `move`), starting from the entries every
//! router has: the `default` proposal, profile and policy group, the default policy
//! template, and the `request-only` mode-config.
//!
//! Every property remembers the line that set it, so that the translation can say where a
//! value came from. Commands the importer cannot run are skipped with a warning.

use std::collections::BTreeMap;

use super::command::{Arg, ArgValue, Command, Find, Positional};
use super::lexer::Text;
use super::menus::{self, Menu, MenuKind, PropertyError};
use super::warning::{Warning, shown};

/// One property of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: &'static str,
    pub value: Text,
    /// The line that set it; `None` for a built-in entry's own value.
    pub line: Option<usize>,
}

/// One entry of a menu (a row of `print`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub props: Vec<Prop>,
    /// One of the entries every router has (`default=yes`).
    pub builtin: bool,
    /// The line of its `add`; for a built-in entry, 0.
    pub added_at: usize,
}

impl Entry {
    fn builtin(props: &[(&'static str, &str)]) -> Self {
        Self {
            props: props
                .iter()
                .map(|(name, value)| Prop {
                    name,
                    value: Text::new((*value).to_owned()),
                    line: None,
                })
                .collect(),
            builtin: true,
            added_at: 0,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|p| p.value.as_str())
    }

    fn set(&mut self, name: &'static str, value: Text, line: usize) {
        let prop = Prop {
            name,
            value,
            line: Some(line),
        };
        match self.props.iter_mut().find(|p| p.name == name) {
            Some(existing) => *existing = prop,
            None => self.props.push(prop),
        }
    }

    fn unset(&mut self, name: &str) {
        self.props.retain(|p| p.name != name);
    }

    /// Whether a script changed it (a built-in entry left alone is not written out).
    pub fn is_changed(&self) -> bool {
        !self.builtin || self.props.iter().any(|p| p.line.is_some())
    }

    /// The line to name for the entry: its `add`, or the first change to a built-in one.
    pub fn line(&self) -> usize {
        if self.builtin {
            self.props.iter().filter_map(|p| p.line).min().unwrap_or(0)
        } else {
            self.added_at
        }
    }
}

/// The property a key import's file name is kept under (not a RouterOS property).
pub const KEY_FILE: &str = "file-name";
/// The property `/certificate sign` leaves on a certificate: the CA's name, or
/// [`SELF_SIGNED`] (not a RouterOS property).
pub const SIGNED_BY: &str = "signed-by";
pub const SELF_SIGNED: &str = "(self)";

/// Every menu's entries, as the script left them.
#[derive(Debug, Clone)]
pub struct Model {
    tables: BTreeMap<Menu, Vec<Entry>>,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    /// A router's configuration before the script: the built-in entries only.
    pub fn new() -> Self {
        let mut tables = BTreeMap::new();
        tables.insert(Menu::Proposal, vec![Entry::builtin(&[("name", "default")])]);
        tables.insert(Menu::Profile, vec![Entry::builtin(&[("name", "default")])]);
        tables.insert(
            Menu::PolicyGroup,
            vec![Entry::builtin(&[("name", "default")])],
        );
        tables.insert(
            Menu::Policy,
            vec![Entry::builtin(&[
                ("group", "default"),
                ("src-address", "::/0"),
                ("dst-address", "::/0"),
                ("protocol", "all"),
                ("proposal", "default"),
                ("template", "yes"),
            ])],
        );
        tables.insert(
            Menu::ModeConfig,
            vec![Entry::builtin(&[
                ("name", "request-only"),
                ("responder", "no"),
            ])],
        );
        Self { tables }
    }

    /// A menu's entries in `print` order.
    pub fn entries(&self, menu: Menu) -> &[Entry] {
        self.tables.get(&menu).map_or(&[], Vec::as_slice)
    }

    fn table(&mut self, menu: Menu) -> &mut Vec<Entry> {
        self.tables.entry(menu).or_default()
    }

    /// Runs one command, warning about whatever it cannot carry out.
    pub fn execute(&mut self, cmd: &Command, warnings: &mut Vec<Warning>) {
        let warn = |warnings: &mut Vec<Warning>, message: String| {
            warnings.push(Warning::new(cmd.line, cmd.describe(), message));
        };
        if cmd.verb.is_empty() {
            warn(warnings, "arguments with no command before them (is a line continuation `\\` missing on the line above?); skipped".to_owned());
            return;
        }
        let Some(menu) = cmd.menu else {
            warn(warnings, outside_message(cmd));
            return;
        };
        if cmd.uses_variable {
            warn(
                warnings,
                "uses a script variable ($name), whose value an import cannot know; skipped"
                    .to_owned(),
            );
            return;
        }
        match cmd.verb.as_str() {
            "print" | "export" | "get" | "find" | "monitor" => {
                warn(
                    warnings,
                    format!("{} only shows; nothing to import", cmd.verb),
                );
                return;
            }
            "edit" => {
                warn(warnings, "edit opens an editor; skipped".to_owned());
                return;
            }
            _ => {}
        }
        match menu.kind() {
            MenuKind::Operational => {
                warn(
                    warnings,
                    format!(
                        "acts on the running router ({} is run-time state); nothing to import",
                        menu.path()
                    ),
                );
                return;
            }
            MenuKind::Settings => {
                for arg in &cmd.args {
                    let value = match &arg.value {
                        ArgValue::Text(t) => t.as_str(),
                        _ => "",
                    };
                    warnings.push(Warning::new(
                        cmd.line,
                        format!("{} {}", menu.path(), shown(&arg.name, value)),
                        "tunsec has no RADIUS client or IPsec accounting; dropped",
                    ));
                }
                return;
            }
            MenuKind::Table => {}
        }
        match (menu, cmd.verb.as_str()) {
            (_, "add") => self.add(menu, cmd, warnings),
            (_, "set") => self.set(menu, cmd, warnings),
            (_, "remove") => self.remove(menu, cmd, warnings),
            (_, "enable" | "disable") => self.enable(menu, cmd, warnings),
            (_, "unset") => self.unset(menu, cmd, warnings),
            (_, "move") => self.move_entries(menu, cmd, warnings),
            (Menu::Key, "import") => self.import_key(cmd, warnings),
            (Menu::Certificate, "sign") => self.sign(cmd, warnings),
            (Menu::Certificate, "import") => warn(
                warnings,
                "certificates imported from a file on the router: tunsec reads them from files named in [[certificate]]; each certificate a peer names is written with the file to provide".to_owned(),
            ),
            (Menu::Key, "generate-key") => warn(warnings, 
                "keys are files for tunsec: make one with `tunsec cert make-key --key rsa:2048 --out-key FILE --out-pub FILE.pub` and add a [[key]] with its file; skipped".to_owned(),
            ),
            (Menu::Key, "export-pub-key") => {
                warn(warnings, "writes a file on the router; nothing to import".to_owned());
            }
            (_, verb) => warn(warnings, format!(
                "{verb} is not a command the importer runs (add, set, remove, enable, disable, unset, move); skipped"
            )),
        }
    }

    /// The property an argument names, warning (and `None`) when it names none.
    fn property(
        menu: Menu,
        cmd: &Command,
        arg: &Arg,
        warnings: &mut Vec<Warning>,
    ) -> Option<(&'static str, Option<Text>)> {
        let value = match &arg.value {
            ArgValue::Text(t) => Some(t.clone()),
            ArgValue::Unset => None,
            ArgValue::Computed => {
                warnings.push(Warning::new(
                    cmd.line,
                    format!("{} {}=[...]", menu.path(), arg.name),
                    "the value is a [ ... ] command's result, which an import cannot run; dropped",
                ));
                return None;
            }
        };
        match menus::resolve(menu.properties(), &arg.name) {
            Ok(name) => Some((name, value)),
            Err(e) => {
                let written = shown(&arg.name, value.as_deref().map_or("", |v| v.as_str()));
                let message = match e {
                    PropertyError::Unknown => format!(
                        "not a property of {} the importer knows; dropped (known: {})",
                        menu.path(),
                        menu.properties().join(", ")
                    ),
                    PropertyError::Ambiguous(names) => format!(
                        "{:?} abbreviates more than one property ({}); dropped",
                        arg.name,
                        names.join(", ")
                    ),
                };
                warnings.push(Warning::new(
                    cmd.line,
                    format!("{} {written}", menu.path()),
                    message,
                ));
                None
            }
        }
    }

    fn add(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        let mut entry = Entry {
            added_at: cmd.line,
            ..Entry::default()
        };
        let mut position = None;
        for arg in &cmd.args {
            match (arg.name.as_str(), &arg.value) {
                ("place-before", ArgValue::Text(v)) => match v.parse::<usize>() {
                    Ok(n) => position = Some(n),
                    Err(_) => warnings.push(Warning::new(
                        cmd.line,
                        format!("{} add {}", menu.path(), shown("place-before", v)),
                        "not an item number; the entry goes last",
                    )),
                },
                ("copy-from", ArgValue::Text(v)) => {
                    let target = match v.parse::<usize>() {
                        Ok(n) => Positional::Numbers(vec![n]),
                        Err(_) => Positional::Word(v.clone()),
                    };
                    match self
                        .resolve_targets(menu, cmd, &[target], warnings)
                        .as_deref()
                    {
                        Some([from]) => {
                            let mut copy = self.entries(menu)[*from].props.clone();
                            copy.retain(|p| p.name != "name");
                            for p in &mut copy {
                                p.line = Some(cmd.line);
                            }
                            entry.props.extend(copy);
                        }
                        _ => warnings.push(Warning::new(
                            cmd.line,
                            format!("{} add {}", menu.path(), shown("copy-from", v)),
                            "names no single entry to copy; the entry starts from the defaults",
                        )),
                    }
                }
                _ => {
                    if let Some((name, Some(value))) = Self::property(menu, cmd, arg, warnings) {
                        entry.set(name, value, cmd.line);
                    }
                }
            }
        }
        if !cmd.positional.is_empty() {
            warnings.push(Warning::new(
                cmd.line,
                cmd.describe(),
                "add names no existing item; the words without = are ignored",
            ));
        }
        if menu.is_named()
            && let Some(name) = entry.value("name")
            && let Some(other) = self
                .entries(menu)
                .iter()
                .find(|e| e.value("name") == Some(name))
        {
            let first = match other.line() {
                0 => "is built in".to_owned(),
                line => format!("was added on line {line}"),
            };
            warnings.push(Warning::new(
                cmd.line,
                format!("{} add {}", menu.path(), shown("name", name)),
                format!("an entry of that name {first}, and RouterOS refuses a second; skipped"),
            ));
            return;
        }
        let table = self.table(menu);
        match position {
            Some(n) if n < table.len() => table.insert(n, entry),
            _ => table.push(entry),
        }
    }

    /// The entries (indexes in `print` order) the targets name, warning where they name
    /// nothing or cannot be evaluated; `None` skips the command.
    fn resolve_targets(
        &self,
        menu: Menu,
        cmd: &Command,
        targets: &[Positional],
        warnings: &mut Vec<Warning>,
    ) -> Option<Vec<usize>> {
        let entries = self.entries(menu);
        let mut out = Vec::new();
        let mut warn =
            |message: String| warnings.push(Warning::new(cmd.line, cmd.describe(), message));
        for target in targets {
            let found: Vec<usize> = match target {
                Positional::Numbers(numbers) => {
                    warn(format!(
                        "item numbers ({}) count entries as `print` last listed them; taken in the order this script made them, built-in entries first",
                        numbers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                    numbers
                        .iter()
                        .copied()
                        .filter(|n| *n < entries.len())
                        .collect()
                }
                Positional::Word(name) if menu.is_named() => entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.value("name") == Some(name.as_str()))
                    .map(|(i, _)| i)
                    .collect(),
                Positional::Word(name) => {
                    warn(format!(
                        "{:?} names no item: {} entries have no name (use [ find ... ] or a number); skipped",
                        name.as_str(),
                        menu.path()
                    ));
                    return None;
                }
                Positional::Find(Find::Unsupported(written)) => {
                    warn(format!(
                        "{written} is a find expression the importer does not evaluate (it takes find, find where, and property=value conditions); skipped"
                    ));
                    return None;
                }
                Positional::Find(Find::Conditions(conditions)) => {
                    let mut found = Vec::new();
                    for (i, e) in entries.iter().enumerate() {
                        match matches_all(menu, e, conditions) {
                            Ok(true) => found.push(i),
                            Ok(false) => {}
                            Err(unknown) => {
                                warn(format!(
                                    "find on {unknown:?}, which is not a property of {} the importer knows; skipped",
                                    menu.path()
                                ));
                                return None;
                            }
                        }
                    }
                    found
                }
            };
            if found.is_empty() {
                warn(format!(
                    "{} names no entry of {}; skipped",
                    describe_target(target),
                    menu.path()
                ));
            }
            out.extend(found);
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// The targets of `set`/`remove`/...: its positional words and `numbers=`.
    fn targets_of(cmd: &Command) -> Vec<Positional> {
        let mut targets = cmd.positional.clone();
        for arg in &cmd.args {
            if arg.name == "numbers"
                && let ArgValue::Text(v) = &arg.value
            {
                targets.push(match v.split(',').map(str::parse).collect() {
                    Ok(numbers) => Positional::Numbers(numbers),
                    Err(_) => Positional::Word(v.clone()),
                });
            }
        }
        targets
    }

    fn set(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        let targets = Self::targets_of(cmd);
        if targets.is_empty() {
            warnings.push(Warning::new(
                cmd.line,
                cmd.describe(),
                format!(
                    "names no entry ({} holds a list: give [ find ... ], a name or a number); skipped",
                    menu.path()
                ),
            ));
            return;
        }
        let Some(indexes) = self.resolve_targets(menu, cmd, &targets, warnings) else {
            return;
        };
        for arg in cmd.args.iter().filter(|a| a.name != "numbers") {
            let Some((name, value)) = Self::property(menu, cmd, arg, warnings) else {
                continue;
            };
            for &i in &indexes {
                let entry = &mut self.table(menu)[i];
                match &value {
                    Some(_) if name == "name" && entry.builtin => {
                        warnings.push(Warning::new(
                            cmd.line,
                            format!(
                                "{} set {}",
                                menu.path(),
                                shown(name, value.as_deref().map_or("", |v| v.as_str()))
                            ),
                            "a built-in entry keeps its name; dropped",
                        ));
                    }
                    Some(v) => entry.set(name, v.clone(), cmd.line),
                    None => entry.unset(name),
                }
            }
        }
    }

    fn remove(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        let targets = Self::targets_of(cmd);
        let Some(indexes) = self.resolve_targets(menu, cmd, &targets, warnings) else {
            return;
        };
        for &i in indexes.iter().rev() {
            if self.entries(menu)[i].builtin {
                warnings.push(Warning::new(
                    cmd.line,
                    cmd.describe(),
                    "a built-in entry cannot be removed; kept",
                ));
            } else {
                self.table(menu).remove(i);
            }
        }
    }

    fn enable(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        if !menu.properties().contains(&"disabled") {
            warnings.push(Warning::new(
                cmd.line,
                cmd.describe(),
                format!("{} entries cannot be disabled; skipped", menu.path()),
            ));
            return;
        }
        let targets = Self::targets_of(cmd);
        let Some(indexes) = self.resolve_targets(menu, cmd, &targets, warnings) else {
            return;
        };
        let value = if cmd.verb == "disable" { "yes" } else { "no" };
        for i in indexes {
            self.table(menu)[i].set("disabled", Text::new(value.to_owned()), cmd.line);
        }
    }

    /// `unset TARGET property...` and `unset TARGET value-name=property`.
    fn unset(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        let mut targets = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for p in Self::targets_of(cmd) {
            match p {
                Positional::Word(w) if !targets.is_empty() => names.push(w.to_string()),
                other => targets.push(other),
            }
        }
        for arg in &cmd.args {
            if let ("value-name", ArgValue::Text(v)) = (arg.name.as_str(), &arg.value) {
                names.extend(v.split(',').map(str::to_owned));
            }
        }
        let Some(indexes) = self.resolve_targets(menu, cmd, &targets, warnings) else {
            return;
        };
        for written in names {
            let unset = Arg {
                name: written,
                value: ArgValue::Unset,
            };
            let Some((name, _)) = Self::property(menu, cmd, &unset, warnings) else {
                continue;
            };
            for &i in &indexes {
                self.table(menu)[i].unset(name);
            }
        }
    }

    /// `move WHAT DESTINATION`: the entries go before the one now at DESTINATION (or last).
    fn move_entries(&mut self, menu: Menu, cmd: &Command, warnings: &mut Vec<Warning>) {
        let mut targets = Self::targets_of(cmd);
        let mut destination = cmd.args.iter().find_map(|a| match (&*a.name, &a.value) {
            ("destination", ArgValue::Text(v)) => v.parse::<usize>().ok(),
            _ => None,
        });
        if destination.is_none()
            && targets.len() == 2
            && let Some(Positional::Numbers(n)) = targets.last()
            && let [d] = n.as_slice()
        {
            destination = Some(*d);
            targets.pop();
        }
        let Some(indexes) = self.resolve_targets(menu, cmd, &targets, warnings) else {
            return;
        };
        let table = self.table(menu);
        let destination = destination.unwrap_or(table.len()).min(table.len());
        let before = indexes.iter().filter(|&&i| i < destination).count();
        let mut moved = Vec::new();
        for &i in indexes.iter().rev() {
            moved.push(table.remove(i));
        }
        moved.reverse();
        let at = destination - before;
        table.splice(at..at, moved);
    }

    /// `/certificate sign NAME [ca=CA]`: NAME is now a certificate, signed by CA or by itself
    /// (a CA of its own).
    fn sign(&mut self, cmd: &Command, warnings: &mut Vec<Warning>) {
        let targets = Self::targets_of(cmd);
        let Some(indexes) = self.resolve_targets(Menu::Certificate, cmd, &targets, warnings) else {
            return;
        };
        let mut signer = Text::new(SELF_SIGNED.to_owned());
        for arg in &cmd.args {
            match (arg.name.as_str(), &arg.value) {
                ("ca", ArgValue::Text(ca)) => signer = ca.clone(),
                ("numbers", _) => {}
                (name, value) => {
                    let value = match value {
                        ArgValue::Text(t) => t.as_str(),
                        _ => "",
                    };
                    warnings.push(Warning::new(
                        cmd.line,
                        format!("/certificate sign {}", shown(name, value)),
                        "tunsec checks no CRLs; dropped",
                    ));
                }
            }
        }
        for i in indexes {
            self.table(Menu::Certificate)[i].set(SIGNED_BY, signer.clone(), cmd.line);
        }
    }

    /// `/ip ipsec key import file-name=F name=N`: a [[key]] read from that file.
    fn import_key(&mut self, cmd: &Command, warnings: &mut Vec<Warning>) {
        let text = |name: &str| {
            cmd.args.iter().find_map(|a| match &a.value {
                ArgValue::Text(v) if a.name == name => Some(v.clone()),
                _ => None,
            })
        };
        let Some(file) = text("file-name") else {
            warnings.push(Warning::new(
                cmd.line,
                cmd.describe(),
                "has no file-name; skipped",
            ));
            return;
        };
        let name = text("name").unwrap_or_else(|| file.clone());
        let mut entry = Entry {
            added_at: cmd.line,
            ..Entry::default()
        };
        entry.set("name", name, cmd.line);
        entry.set(KEY_FILE, file, cmd.line);
        self.table(Menu::Key).push(entry);
    }
}

/// Why a command outside the importer's menus is skipped.
fn outside_message(cmd: &Command) -> String {
    let l2tp = cmd.path.starts_with("/interface l2tp")
        && cmd
            .args
            .iter()
            .any(|a| a.name == "use-ipsec" || a.name == "ipsec-secret");
    if l2tp {
        "RouterOS makes a dynamic /ip ipsec peer (exchange-mode=main-l2tp, with ipsec-secret as its secret) and policies for L2TP/IPsec; tunsec has no L2TP, so none is imported; skipped".to_owned()
    } else if cmd.path == "/" {
        format!(
            "{} at the top of the command tree names no menu; skipped",
            cmd.verb
        )
    } else {
        "outside /ip ipsec and /ip pool, which is all tunsec imports; skipped".to_owned()
    }
}

fn describe_target(target: &Positional) -> String {
    match target {
        Positional::Numbers(n) => n
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
        Positional::Word(w) => format!("{:?}", w.as_str()),
        Positional::Find(Find::Conditions(c)) => {
            let conditions: Vec<String> = c.iter().map(|(k, v)| shown(k, v)).collect();
            format!("[ find {} ]", conditions.join(" "))
        }
        Positional::Find(Find::Unsupported(s)) => s.clone(),
    }
}

/// yes/true and no/false are one value each.
fn same_value(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> &str {
        match s {
            "true" => "yes",
            "false" => "no",
            other => other,
        }
    }
    canonical(a) == canonical(b)
}

/// Whether `entry` meets every `property=value` condition; `Err` names a property the
/// importer cannot look at.
fn matches_all(menu: Menu, entry: &Entry, conditions: &[(String, Text)]) -> Result<bool, String> {
    for (written, wanted) in conditions {
        let ok = match written.as_str() {
            "default" => same_value(if entry.builtin { "yes" } else { "no" }, wanted),
            // Nothing a script adds is dynamic.
            "dynamic" => same_value("no", wanted),
            _ => {
                let name =
                    menus::resolve(menu.properties(), written).map_err(|_| written.clone())?;
                match entry.value(name) {
                    Some(v) => same_value(v, wanted),
                    None => {
                        matches!(name, "disabled" | "template" | "passive")
                            && same_value("no", wanted)
                    }
                }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::command::{CommandParser, Parsed};
    use super::super::lexer::statements;
    use super::*;

    fn run(script: &str) -> (Model, Vec<Warning>) {
        let mut model = Model::new();
        let mut warnings = Vec::new();
        let mut parser = CommandParser::new();
        for st in statements(script).unwrap() {
            if let Parsed::Command(c) = parser.parse(&st) {
                model.execute(&c, &mut warnings);
            }
        }
        (model, warnings)
    }

    fn values(model: &Model, menu: Menu, prop: &str) -> Vec<String> {
        model
            .entries(menu)
            .iter()
            .map(|e| e.value(prop).unwrap_or("-").to_owned())
            .collect()
    }

    #[test]
    fn set_finds_defaults_names_and_numbers() {
        let (m, w) = run(
            "/ip ipsec proposal\nset [ find default=yes ] pfs-group=none\nadd name=p2\nset p2 lifetime=8h\nset 1 lifetime=1h\n/ip ipsec mode-config set [ find name=request-only ] src-address-list=local\n",
        );
        let proposals = m.entries(Menu::Proposal);
        assert_eq!(proposals[0].value("pfs-group"), Some("none"));
        assert_eq!(proposals[0].get("pfs-group").unwrap().line, Some(2));
        assert_eq!(proposals[0].line(), 2);
        assert_eq!(proposals[1].value("lifetime"), Some("1h"));
        assert_eq!(
            m.entries(Menu::ModeConfig)[0].value("src-address-list"),
            Some("local")
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].message.starts_with("item numbers (1) count entries"));
    }

    #[test]
    fn abbreviations_and_unknown_properties() {
        let (m, w) = run("/ip ipsec mode-conf add name=c address-prefix=32 bogus=1 s=2\n");
        let c = &m.entries(Menu::ModeConfig)[1];
        assert_eq!(c.value("address-prefix-length"), Some("32"));
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].subject, "/ip ipsec mode-config bogus=1");
        assert!(w[0].message.starts_with("not a property of /ip ipsec mode-config the importer knows; dropped (known: address, address-pool,"));
        assert_eq!(w[1].subject, "/ip ipsec mode-config s=2");
        assert!(
            w[1].message
                .starts_with("\"s\" abbreviates more than one property (split-dns, split-include")
        );
    }

    #[test]
    fn remove_move_enable_unset_and_place_before() {
        let (m, w) = run(
            "/ip ipsec policy\nadd src-address=10.0.1.0/24 comment=a\nadd src-address=10.0.2.0/24 comment=b\nadd src-address=10.0.3.0/24 comment=c place-before=1\nmove 3 1\ndisable [ find comment=a ]\nunset [ find comment=b ] comment\nremove [ find default=yes ]\n",
        );
        // Built-in template first; c went before a, then b moved before c.
        assert_eq!(
            values(&m, Menu::Policy, "src-address"),
            ["::/0", "10.0.2.0/24", "10.0.3.0/24", "10.0.1.0/24"]
        );
        assert_eq!(values(&m, Menu::Policy, "comment"), ["-", "-", "c", "a"]);
        assert_eq!(values(&m, Menu::Policy, "disabled"), ["-", "-", "-", "yes"]);
        assert_eq!(
            w.last().unwrap().message,
            "a built-in entry cannot be removed; kept"
        );
        let (m, _) = run(
            "/ip pool add name=a ranges=192.0.2.1\n/ip pool add name=b ranges=192.0.2.2\n/ip pool remove a\n",
        );
        assert_eq!(values(&m, Menu::Pool, "name"), ["b"]);
    }

    #[test]
    fn skipped_commands_say_why() {
        let (_, w) = run(
            "/ip firewall nat add chain=srcnat\n/interface l2tp-server server set use-ipsec=required ipsec-secret=x\n/ip ipsec peer add secret=$psk\n/ip ipsec remote-peers print\n/ip ipsec installed-sa flush\n/ip ipsec proposal set [ find name~\"x\" ] lifetime=1h\n/ip ipsec proposal set nothere lifetime=1h\n/ip ipsec proposal add name=default\n/ip ipsec settings set xauth-use-radius=yes\n",
        );
        let lines: Vec<String> = w.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 1: /ip firewall nat add: outside /ip ipsec and /ip pool, which is all tunsec imports; skipped",
                "line 2: /interface l2tp-server server set: RouterOS makes a dynamic /ip ipsec peer (exchange-mode=main-l2tp, with ipsec-secret as its secret) and policies for L2TP/IPsec; tunsec has no L2TP, so none is imported; skipped",
                "line 3: /ip ipsec peer add: uses a script variable ($name), whose value an import cannot know; skipped",
                "line 4: /ip ipsec remote-peers print: print only shows; nothing to import",
                "line 5: /ip ipsec installed-sa flush: acts on the running router (/ip ipsec installed-sa is run-time state); nothing to import",
                "line 6: /ip ipsec proposal set: [ find name~\"x\" ] is a find expression the importer does not evaluate (it takes find, find where, and property=value conditions); skipped",
                "line 7: /ip ipsec proposal set: \"nothere\" names no entry of /ip ipsec proposal; skipped",
                "line 8: /ip ipsec proposal add name=default: an entry of that name is built in, and RouterOS refuses a second; skipped",
                "line 9: /ip ipsec settings xauth-use-radius=yes: tunsec has no RADIUS client or IPsec accounting; dropped",
            ]
        );
    }

    #[test]
    fn key_imports() {
        let (m, _) = run("/ip ipsec key import file-name=office.pem name=office\n");
        let k = &m.entries(Menu::Key)[0];
        assert_eq!(
            (k.value("name"), k.value(KEY_FILE)),
            (Some("office"), Some("office.pem"))
        );
    }
}
