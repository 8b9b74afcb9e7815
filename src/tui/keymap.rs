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

/// Where a binding applies: the layers of the board's stack. Each key goes to the top layer
/// only; a text prompt inserts the keys its table does not bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Board,
    Detail,
    Problems,
    Help,
    Prompt,
    Confirm,
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
    PrevProduct,
    Suspend,
    ToggleDensity,
    ToggleView,
    SortNext,
    SortReverse,
    // Text prompts (a line editor).
    Submit,
    CursorLeft,
    CursorRight,
    WordLeft,
    WordRight,
    LineStart,
    LineEnd,
    DeleteBack,
    DeleteForward,
    DeleteWordBack,
    KillToEnd,
    KillToStart,
    // Yes/no questions.
    Yes,
    No,
}

/// One row of the table: the action, its default keys, the layers it works in, its help text.
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub layers: &'static [Layer],
    pub help: &'static str,
    /// The word the footer shows beside the key, for the bindings worth a hint there.
    pub hint: Option<&'static str>,
}

use Layer::{Board, Confirm, Detail, Help as HelpLayer, Problems as ProblemsLayer, Prompt};

/// Every layer where a letter is a command (not text being typed).
const COMMANDS: &[Layer] = &[Board, Detail, ProblemsLayer, HelpLayer, Confirm];
const PANES: &[Layer] = &[Board, Detail, ProblemsLayer, HelpLayer];
const SCROLLING: &[Layer] = &[Board, Detail, ProblemsLayer, HelpLayer];

/// The default bindings, in the order the help overlay lists them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Left,
        name: "left",
        keys: &["h", "left"],
        layers: &[Board],
        help: "focus the column to the left",
        hint: None,
    },
    Binding {
        action: Action::Right,
        name: "right",
        keys: &["l", "right"],
        layers: &[Board],
        help: "focus the column to the right",
        hint: None,
    },
    Binding {
        action: Action::Up,
        name: "up",
        keys: &["k", "up"],
        layers: SCROLLING,
        help: "previous card / scroll up",
        hint: None,
    },
    Binding {
        action: Action::Down,
        name: "down",
        keys: &["j", "down"],
        layers: SCROLLING,
        help: "next card / scroll down",
        hint: None,
    },
    Binding {
        action: Action::Top,
        name: "top",
        keys: &["g", "home"],
        layers: SCROLLING,
        help: "top of the column",
        hint: None,
    },
    Binding {
        action: Action::Bottom,
        name: "bottom",
        keys: &["G", "end"],
        layers: SCROLLING,
        help: "bottom of the column",
        hint: None,
    },
    Binding {
        action: Action::PageUp,
        name: "page_up",
        keys: &["pageup", "ctrl-u"],
        layers: SCROLLING,
        help: "one page up",
        hint: None,
    },
    Binding {
        action: Action::PageDown,
        name: "page_down",
        keys: &["pagedown", "ctrl-d"],
        layers: SCROLLING,
        help: "one page down",
        hint: None,
    },
    Binding {
        action: Action::MoveLeft,
        name: "move_left",
        keys: &["H", "shift-left"],
        layers: &[Board, Detail],
        help: "move the card to the previous column",
        hint: None,
    },
    Binding {
        action: Action::MoveRight,
        name: "move_right",
        keys: &["L", "shift-right"],
        layers: &[Board, Detail],
        help: "move the card to the next column",
        hint: Some("move"),
    },
    Binding {
        action: Action::ReorderUp,
        name: "reorder_up",
        keys: &["K", "shift-up"],
        layers: &[Board],
        help: "move the card up in its column",
        hint: None,
    },
    Binding {
        action: Action::ReorderDown,
        name: "reorder_down",
        keys: &["J", "shift-down"],
        layers: &[Board],
        help: "move the card down in its column",
        hint: None,
    },
    Binding {
        action: Action::OpenDetail,
        name: "detail",
        keys: &["enter"],
        layers: &[Board, ProblemsLayer],
        help: "open the card's detail pane (a problem: the lines around it)",
        hint: Some("detail"),
    },
    Binding {
        action: Action::EditTitle,
        name: "edit_title",
        keys: &["e"],
        layers: &[Board, Detail],
        help: "edit the title",
        hint: None,
    },
    Binding {
        action: Action::OpenEditor,
        name: "editor",
        keys: &["E"],
        layers: &[Board, Detail, ProblemsLayer],
        help: "open the file in $VISUAL / $EDITOR (a problem: at its line)",
        hint: None,
    },
    Binding {
        action: Action::Search,
        name: "search",
        keys: &["/"],
        layers: &[Board],
        help: "fuzzy search (Esc clears)",
        hint: Some("search"),
    },
    Binding {
        action: Action::Filter,
        name: "filter",
        keys: &["f"],
        layers: &[Board],
        help: "filter: label:x assignee:y priority:z type:t",
        hint: None,
    },
    Binding {
        action: Action::RaisePriority,
        name: "raise_priority",
        keys: &["p"],
        layers: &[Board, Detail],
        help: "raise the priority",
        hint: None,
    },
    Binding {
        action: Action::LowerPriority,
        name: "lower_priority",
        keys: &["P"],
        layers: &[Board, Detail],
        help: "lower the priority",
        hint: None,
    },
    Binding {
        action: Action::SetAssignee,
        name: "assignee",
        keys: &["a"],
        layers: &[Board, Detail],
        help: "edit the assignees (comma-separated)",
        hint: None,
    },
    Binding {
        action: Action::EditLabels,
        name: "labels",
        keys: &["t"],
        layers: &[Board, Detail],
        help: "edit the labels",
        hint: None,
    },
    Binding {
        action: Action::NewCard,
        name: "new",
        keys: &["n"],
        layers: &[Board],
        help: "new card in the focused column",
        hint: Some("new"),
    },
    Binding {
        action: Action::Archive,
        name: "archive",
        keys: &["x"],
        layers: &[Board],
        help: "archive the card (asks first)",
        hint: None,
    },
    Binding {
        action: Action::Undo,
        name: "undo",
        keys: &["u"],
        layers: &[Board, Detail],
        help: "undo this session's last edit",
        hint: None,
    },
    Binding {
        action: Action::Redo,
        name: "redo",
        keys: &["ctrl-r"],
        layers: &[Board, Detail],
        help: "redo",
        hint: None,
    },
    Binding {
        action: Action::NextProduct,
        name: "product",
        keys: &["tab"],
        layers: &[Board],
        help: "next product (kano)",
        hint: None,
    },
    Binding {
        action: Action::Problems,
        name: "problems",
        keys: &["!"],
        layers: &[Board],
        help: "files that could not be read",
        hint: None,
    },
    Binding {
        action: Action::Help,
        name: "help",
        keys: &["?"],
        layers: &[Board, Detail, ProblemsLayer],
        help: "this help (scrolls like the detail pane)",
        hint: Some("help"),
    },
    Binding {
        action: Action::Back,
        name: "back",
        keys: &["esc"],
        layers: &[Board, Detail, ProblemsLayer, HelpLayer, Prompt],
        help: "close the pane / clear the search",
        hint: Some("back"),
    },
    Binding {
        action: Action::Quit,
        name: "quit",
        keys: &["q", "ctrl-c"],
        layers: COMMANDS,
        help: "quit",
        hint: Some("quit"),
    },
    Binding {
        action: Action::PrevProduct,
        name: "previous_product",
        keys: &["shift-tab"],
        layers: &[Board],
        help: "previous product (kano)",
        hint: None,
    },
    Binding {
        action: Action::ToggleView,
        name: "list_view",
        keys: &["v"],
        layers: &[Board],
        help: "list view (a table of cards) / board view",
        hint: None,
    },
    Binding {
        action: Action::SortNext,
        name: "sort",
        keys: &["o"],
        layers: &[Board],
        help: "sort the column: board order, priority, created, updated, id (list: next column)",
        hint: None,
    },
    Binding {
        action: Action::SortReverse,
        name: "sort_reverse",
        keys: &["O"],
        layers: &[Board],
        help: "list view: reverse the sort",
        hint: None,
    },
    Binding {
        action: Action::ToggleDensity,
        name: "density",
        keys: &["z"],
        layers: &[Board],
        help: "compact density: one line per card",
        hint: None,
    },
    Binding {
        action: Action::Suspend,
        name: "suspend",
        keys: &["ctrl-z"],
        layers: PANES,
        help: "suspend to the shell (fg comes back)",
        hint: None,
    },
    Binding {
        action: Action::Quit,
        name: "quit_from_prompt",
        keys: &["ctrl-c"],
        layers: &[Prompt],
        help: "quit, from a text prompt (q is a letter there)",
        hint: None,
    },
    Binding {
        action: Action::Submit,
        name: "submit",
        keys: &["enter"],
        layers: &[Prompt],
        help: "prompt: save / search",
        hint: Some("save"),
    },
    Binding {
        action: Action::CursorLeft,
        name: "cursor_left",
        keys: &["left", "ctrl-b"],
        layers: &[Prompt],
        help: "prompt: one character left",
        hint: None,
    },
    Binding {
        action: Action::CursorRight,
        name: "cursor_right",
        keys: &["right", "ctrl-f"],
        layers: &[Prompt],
        help: "prompt: one character right",
        hint: None,
    },
    Binding {
        action: Action::WordLeft,
        name: "word_left",
        keys: &["alt-b", "ctrl-left"],
        layers: &[Prompt],
        help: "prompt: one word left",
        hint: None,
    },
    Binding {
        action: Action::WordRight,
        name: "word_right",
        keys: &["alt-f", "ctrl-right"],
        layers: &[Prompt],
        help: "prompt: one word right",
        hint: None,
    },
    Binding {
        action: Action::LineStart,
        name: "line_start",
        keys: &["home", "ctrl-a"],
        layers: &[Prompt],
        help: "prompt: start of the line",
        hint: None,
    },
    Binding {
        action: Action::LineEnd,
        name: "line_end",
        keys: &["end", "ctrl-e"],
        layers: &[Prompt],
        help: "prompt: end of the line",
        hint: None,
    },
    Binding {
        action: Action::DeleteBack,
        name: "delete_back",
        keys: &["backspace", "ctrl-h"],
        layers: &[Prompt],
        help: "prompt: delete the character before the cursor",
        hint: None,
    },
    Binding {
        action: Action::DeleteForward,
        name: "delete_forward",
        keys: &["delete", "ctrl-d"],
        layers: &[Prompt],
        help: "prompt: delete the character under the cursor",
        hint: None,
    },
    Binding {
        action: Action::DeleteWordBack,
        name: "delete_word",
        keys: &["ctrl-w", "alt-backspace"],
        layers: &[Prompt],
        help: "prompt: delete the word before the cursor",
        hint: None,
    },
    Binding {
        action: Action::KillToEnd,
        name: "kill_to_end",
        keys: &["ctrl-k"],
        layers: &[Prompt],
        help: "prompt: delete to the end of the line",
        hint: None,
    },
    Binding {
        action: Action::KillToStart,
        name: "kill_to_start",
        keys: &["ctrl-u"],
        layers: &[Prompt],
        help: "prompt: delete to the start of the line",
        hint: None,
    },
    Binding {
        action: Action::Yes,
        name: "yes",
        keys: &["y", "Y"],
        layers: &[Confirm],
        help: "question: yes",
        hint: Some("yes"),
    },
    Binding {
        action: Action::No,
        name: "no",
        keys: &["n", "N", "esc"],
        layers: &[Confirm],
        help: "question: no",
        hint: Some("no"),
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
            "delete" | "del" => KeyCode::Delete,
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
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Delete".into(),
            other => format!("{other:?}"),
        });
        out
    }
}

/// The bindings in force: the defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// Keys of each binding, by the binding's name.
    keys: HashMap<&'static str, Vec<Key>>,
    lookup: HashMap<(Layer, Key), Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::with_overrides(&HashMap::new()).0
    }
}

impl Keymap {
    /// Apply `overrides` (action name → key strings). Returns the map and one warning per
    /// unknown action or unreadable key, for the status line. An override that leaves an
    /// action with no usable key keeps its defaults: a typo must not lose a command.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut names: Vec<&String> = overrides.keys().collect();
        names.sort();
        for name in names {
            if !BINDINGS.iter().any(|b| b.name == name) {
                warnings.push(format!("config: unknown key action `{name}`"));
            }
        }
        let mut keys = HashMap::new();
        let mut lookup = HashMap::new();
        for binding in BINDINGS {
            let mut parsed = Vec::new();
            if let Some(list) = overrides.get(binding.name) {
                for text in list {
                    match Key::parse(text) {
                        Some(key) => parsed.push(key),
                        None => warnings.push(format!(
                            "config: cannot read key `{text}` for `{}`",
                            binding.name
                        )),
                    }
                }
                if parsed.is_empty() {
                    warnings.push(format!(
                        "config: `{}` would have no key; keeping {}",
                        binding.name,
                        binding.keys.join(", ")
                    ));
                }
            }
            if parsed.is_empty() {
                parsed = binding.keys.iter().filter_map(|k| Key::parse(k)).collect();
            }
            for key in &parsed {
                for layer in binding.layers {
                    lookup.entry((*layer, *key)).or_insert(binding.action);
                }
            }
            keys.insert(binding.name, parsed);
        }
        (Keymap { keys, lookup }, warnings)
    }

    pub fn action(&self, layer: Layer, event: KeyEvent) -> Option<Action> {
        self.lookup.get(&(layer, Key::from_event(event))).copied()
    }

    /// Labels of the keys of the first binding of `action`, e.g. `"H, Shift-←"`.
    pub fn keys_of(&self, action: Action) -> String {
        BINDINGS
            .iter()
            .find(|b| b.action == action)
            .map(|b| self.labels(b.name))
            .unwrap_or_default()
    }

    fn labels(&self, name: &str) -> String {
        self.keys
            .get(name)
            .map(|keys| keys.iter().map(Key::label).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// (keys, help) rows for the help overlay, in table order.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        BINDINGS
            .iter()
            .map(|b| (self.labels(b.name), b.help))
            .collect()
    }

    /// (key, word) hints for the footer of `layer`: the bindings of that layer that have a
    /// hint, each with its first key. Leaving, help and quit come first (a narrow screen cuts
    /// the right end), then the rest in table order; on the board itself there is nothing to
    /// go back from.
    pub fn footer(&self, layer: Layer) -> Vec<(String, &'static str)> {
        let first = [Action::Back, Action::Help, Action::Quit];
        let rank = |b: &Binding| {
            first
                .iter()
                .position(|a| *a == b.action)
                .unwrap_or(first.len())
        };
        let mut bindings: Vec<&Binding> = BINDINGS
            .iter()
            .filter(|b| b.layers.contains(&layer) && b.hint.is_some())
            .filter(|b| !(layer == Layer::Board && b.action == Action::Back))
            .collect();
        bindings.sort_by_key(|b| rank(b));
        bindings
            .into_iter()
            .filter_map(|b| {
                let key = self.keys.get(b.name)?.first()?.label();
                Some((key, b.hint?))
            })
            .collect()
    }

    /// The first key of `action`, for messages that name a key.
    pub fn first_key(&self, action: Action) -> String {
        BINDINGS
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| self.keys.get(b.name)?.first().map(Key::label))
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

    #[test]
    fn an_override_with_no_readable_key_keeps_the_default_and_says_so() {
        let mut o = HashMap::new();
        o.insert("move_right".to_string(), vec!["ctrl-".to_string()]);
        o.insert("zzz".to_string(), vec![]);
        let (map, warnings) = Keymap::with_overrides(&o);
        assert_eq!(map.keys_of(Action::MoveRight), "L, Shift-→");
        assert_eq!(warnings.len(), 3, "{warnings:?}");
    }

    #[test]
    fn q_is_a_letter_in_a_prompt_and_ctrl_c_quits_everywhere() {
        let map = Keymap::default();
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for layer in [
            Layer::Board,
            Layer::Detail,
            Layer::Problems,
            Layer::Help,
            Layer::Confirm,
        ] {
            assert_eq!(map.action(layer, q), Some(Action::Quit), "{layer:?}");
        }
        assert_eq!(map.action(Layer::Prompt, q), None);
        for layer in [
            Layer::Board,
            Layer::Detail,
            Layer::Problems,
            Layer::Help,
            Layer::Prompt,
            Layer::Confirm,
        ] {
            assert_eq!(map.action(layer, ctrl_c), Some(Action::Quit), "{layer:?}");
        }
    }
}
