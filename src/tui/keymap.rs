//! Every key binding of the board in one table. Dispatch, the `?` help overlay and the footer
//! hints are all generated from it, and users override it in `config.toml` under `[keys]`:
//!
//! ```toml
//! [keys]
//! move_right = ["L", "shift-right", "ctrl-l"]
//! quit = ["q"]
//! ```

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Each key goes to the top layer only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Board,
    Detail,
    Problems,
    Help,
}

/// Everything a key can do outside text input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Left,
    Right,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    MoveLeft,
    MoveRight,
    ReorderUp,
    ReorderDown,
    OpenDetail,
    EditTitle,
    OpenEditor,
    Search,
    Filter,
    RaisePriority,
    LowerPriority,
    SetAssignee,
    EditLabels,
    NewCard,
    Archive,
    Undo,
    Redo,
    NextProduct,
    Problems,
    Help,
    Back,
    Quit,
}

/// One row of the table: the action, its default keys, the layers it works in, its help text.
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub layers: &'static [Layer],
    pub help: &'static str,
}

use Layer::{Board, Detail, Help as HelpLayer, Problems as ProblemsLayer};

const ALL: &[Layer] = &[Board, Detail, ProblemsLayer, HelpLayer];
const SCROLLING: &[Layer] = &[Board, Detail, ProblemsLayer];

/// The default bindings, in the order the help overlay lists them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Left,
        name: "left",
        keys: &["h", "left"],
        layers: &[Board],
        help: "focus the column to the left",
    },
    Binding {
        action: Action::Right,
        name: "right",
        keys: &["l", "right"],
        layers: &[Board],
        help: "focus the column to the right",
    },
    Binding {
        action: Action::Up,
        name: "up",
        keys: &["k", "up"],
        layers: SCROLLING,
        help: "previous card / scroll up",
    },
    Binding {
        action: Action::Down,
        name: "down",
        keys: &["j", "down"],
        layers: SCROLLING,
        help: "next card / scroll down",
    },
    Binding {
        action: Action::Top,
        name: "top",
        keys: &["g", "home"],
        layers: SCROLLING,
        help: "top of the column",
    },
    Binding {
        action: Action::Bottom,
        name: "bottom",
        keys: &["G", "end"],
        layers: SCROLLING,
        help: "bottom of the column",
    },
    Binding {
        action: Action::PageUp,
        name: "page_up",
        keys: &["pageup", "ctrl-u"],
        layers: SCROLLING,
        help: "one page up",
    },
    Binding {
        action: Action::PageDown,
        name: "page_down",
        keys: &["pagedown", "ctrl-d"],
        layers: SCROLLING,
        help: "one page down",
    },
    Binding {
        action: Action::MoveLeft,
        name: "move_left",
        keys: &["H", "shift-left"],
        layers: &[Board, Detail],
        help: "move the card to the previous column",
    },
    Binding {
        action: Action::MoveRight,
        name: "move_right",
        keys: &["L", "shift-right"],
        layers: &[Board, Detail],
        help: "move the card to the next column",
    },
    Binding {
        action: Action::ReorderUp,
        name: "reorder_up",
        keys: &["K", "shift-up"],
        layers: &[Board],
        help: "move the card up in its column",
    },
    Binding {
        action: Action::ReorderDown,
        name: "reorder_down",
        keys: &["J", "shift-down"],
        layers: &[Board],
        help: "move the card down in its column",
    },
    Binding {
        action: Action::OpenDetail,
        name: "detail",
        keys: &["enter"],
        layers: &[Board],
        help: "open the card's detail pane",
    },
    Binding {
        action: Action::EditTitle,
        name: "edit_title",
        keys: &["e"],
        layers: &[Board, Detail],
        help: "edit the title",
    },
    Binding {
        action: Action::OpenEditor,
        name: "editor",
        keys: &["E"],
        layers: &[Board, Detail],
        help: "open the file in $VISUAL / $EDITOR",
    },
    Binding {
        action: Action::Search,
        name: "search",
        keys: &["/"],
        layers: &[Board],
        help: "fuzzy search (Esc clears)",
    },
    Binding {
        action: Action::Filter,
        name: "filter",
        keys: &["f"],
        layers: &[Board],
        help: "filter: label:x assignee:y priority:z type:t",
    },
    Binding {
        action: Action::RaisePriority,
        name: "raise_priority",
        keys: &["p"],
        layers: &[Board, Detail],
        help: "raise the priority",
    },
    Binding {
        action: Action::LowerPriority,
        name: "lower_priority",
        keys: &["P"],
        layers: &[Board, Detail],
        help: "lower the priority",
    },
    Binding {
        action: Action::SetAssignee,
        name: "assignee",
        keys: &["a"],
        layers: &[Board, Detail],
        help: "edit the assignees (comma-separated)",
    },
    Binding {
        action: Action::EditLabels,
        name: "labels",
        keys: &["t"],
        layers: &[Board, Detail],
        help: "edit the labels",
    },
    Binding {
        action: Action::NewCard,
        name: "new",
        keys: &["n"],
        layers: &[Board],
        help: "new card in the focused column",
    },
    Binding {
        action: Action::Archive,
        name: "archive",
        keys: &["x"],
        layers: &[Board],
        help: "archive the card (asks first)",
    },
    Binding {
        action: Action::Undo,
        name: "undo",
        keys: &["u"],
        layers: &[Board, Detail],
        help: "undo this session's last edit",
    },
    Binding {
        action: Action::Redo,
        name: "redo",
        keys: &["ctrl-r"],
        layers: &[Board, Detail],
        help: "redo",
    },
    Binding {
        action: Action::NextProduct,
        name: "product",
        keys: &["tab"],
        layers: &[Board],
        help: "next product (kano)",
    },
    Binding {
        action: Action::Problems,
        name: "problems",
        keys: &["!"],
        layers: &[Board],
        help: "files that could not be read",
    },
    Binding {
        action: Action::Help,
        name: "help",
        keys: &["?"],
        layers: &[Board, Detail, ProblemsLayer],
        help: "this help",
    },
    Binding {
        action: Action::Back,
        name: "back",
        keys: &["esc"],
        layers: ALL,
        help: "close the pane / clear the search",
    },
    Binding {
        action: Action::Quit,
        name: "quit",
        keys: &["q", "ctrl-c"],
        layers: ALL,
        help: "quit",
    },
];

/// A parsed key: code plus the modifiers that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub shift: bool,
    pub alt: bool,
}

impl Key {
    /// Normalise a terminal key event: a shifted letter arrives as its capital, so shift is
    /// dropped for characters and kept for named keys (`shift-left`).
    pub fn from_event(ev: KeyEvent) -> Key {
        let char_key = matches!(ev.code, KeyCode::Char(_));
        Key {
            code: match ev.code {
                KeyCode::BackTab => KeyCode::Tab,
                code => code,
            },
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
            shift: (ev.modifiers.contains(KeyModifiers::SHIFT) && !char_key)
                || ev.code == KeyCode::BackTab,
        }
    }

    /// Parse `"ctrl-r"`, `"shift-left"`, `"G"`, `"pageup"`, `"?"`.
    pub fn parse(text: &str) -> Option<Key> {
        let mut key = Key {
            code: KeyCode::Null,
            ctrl: false,
            shift: false,
            alt: false,
        };
        let mut rest = text;
        'modifiers: loop {
            for (prefix, flag) in [
                ("ctrl-", &mut key.ctrl),
                ("shift-", &mut key.shift),
                ("alt-", &mut key.alt),
            ] {
                // A modifier prefix, case-insensitive, with a key after it (`-` alone is a key).
                let after = rest
                    .get(..prefix.len())
                    .filter(|head| head.eq_ignore_ascii_case(prefix))
                    .map(|_| &rest[prefix.len()..])
                    .filter(|after| !after.is_empty());
                if let Some(after) = after {
                    *flag = true;
                    rest = after;
                    continue 'modifiers;
                }
            }
            break;
        }
        key.code = match rest.to_ascii_lowercase().as_str() {
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if key.ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(key)
    }

    /// How the help overlay spells a key.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.ctrl {
            out.push_str("Ctrl-");
        }
        if self.alt {
            out.push_str("Alt-");
        }
        if self.shift {
            out.push_str("Shift-");
        }
        out.push_str(&match self.code {
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            other => format!("{other:?}"),
        });
        out
    }
}

/// The bindings in force: the defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    keys: HashMap<Action, Vec<Key>>,
    lookup: HashMap<(Layer, Key), Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::with_overrides(&HashMap::new()).0
    }
}

impl Keymap {
    /// Apply `overrides` (action name → key strings). Returns the map and one warning per
    /// unknown action or unreadable key, for the status line.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        for name in overrides.keys() {
            if !BINDINGS.iter().any(|b| b.name == name) {
                warnings.push(format!("config: unknown key action `{name}`"));
            }
        }
        let mut keys = HashMap::new();
        let mut lookup = HashMap::new();
        for binding in BINDINGS {
            let texts: Vec<&str> = match overrides.get(binding.name) {
                Some(list) => list.iter().map(String::as_str).collect(),
                None => binding.keys.to_vec(),
            };
            let mut parsed = Vec::new();
            for text in texts {
                match Key::parse(text) {
                    Some(key) => parsed.push(key),
                    None => warnings.push(format!(
                        "config: cannot read key `{text}` for `{}`",
                        binding.name
                    )),
                }
            }
            for key in &parsed {
                for layer in binding.layers {
                    lookup.entry((*layer, *key)).or_insert(binding.action);
                }
            }
            keys.insert(binding.action, parsed);
        }
        (Keymap { keys, lookup }, warnings)
    }

    pub fn action(&self, layer: Layer, event: KeyEvent) -> Option<Action> {
        self.lookup.get(&(layer, Key::from_event(event))).copied()
    }

    /// Labels of the keys bound to `action`, e.g. `"H, Shift-←"`.
    pub fn keys_of(&self, action: Action) -> String {
        self.keys
            .get(&action)
            .map(|keys| keys.iter().map(Key::label).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// (keys, help) rows for the help overlay, in table order.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        BINDINGS
            .iter()
            .map(|b| (self.keys_of(b.action), b.help))
            .collect()
    }

    /// The first key of `action`, for footer hints.
    pub fn first_key(&self, action: Action) -> String {
        self.keys
            .get(&action)
            .and_then(|k| k.first())
            .map(Key::label)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_binding_and_shift_arrows_are_never_alone() {
        let map = Keymap::default();
        for b in BINDINGS {
            assert!(!map.keys_of(b.action).is_empty(), "{} has no key", b.name);
        }
        assert_eq!(map.keys_of(Action::MoveRight), "L, Shift-→");
    }

    #[test]
    fn modifiers_combine_in_any_case_and_a_lone_dash_is_a_key() {
        let k = Key::parse("Ctrl-SHIFT-left").expect("key");
        assert!(k.ctrl && k.shift && !k.alt);
        assert_eq!(k.code, KeyCode::Left);
        assert_eq!(Key::parse("-").map(|k| k.code), Some(KeyCode::Char('-')));
        assert_eq!(
            Key::parse("alt--").map(|k| (k.alt, k.code)),
            Some((true, KeyCode::Char('-')))
        );
        assert_eq!(
            Key::parse("ctrl-"),
            None,
            "`ctrl-` alone is two characters, not a key"
        );
    }

    #[test]
    fn overrides_replace_defaults_and_report_unknown_names() {
        let mut o = HashMap::new();
        o.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
        o.insert("nonsense".to_string(), vec!["x".to_string()]);
        let (map, warnings) = Keymap::with_overrides(&o);
        assert_eq!(map.keys_of(Action::Quit), "Ctrl-q");
        assert_eq!(warnings.len(), 1);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(Layer::Board, q), None);
    }
}
