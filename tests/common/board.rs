//! A board without a terminal: the real `App` and the real worker (real files, real SQLite),
//! run synchronously so a test can say "state, keys, expected state".

use std::path::{Path, PathBuf};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use tack::index::Index;
use tack::layout::Backlog;
use tack::tui::app::{App, Effect};
use tack::tui::keymap::Keymap;
use tack::tui::theme::Theme;
use tack::tui::worker::{Msg, Worker};
use tack::tui::{board_info_with, view};

pub struct Board {
    pub app: App,
    pub worker: Worker,
    pub root: PathBuf,
    pub quit: bool,
    pub editor_requests: Vec<String>,
    /// How many times the board asked to suspend to the shell (Ctrl-z).
    pub suspended: usize,
    _cache: tempfile::TempDir,
}

impl Board {
    /// Open the backlog in `dir` at a given terminal size, as `tack` does.
    pub fn open(dir: &Path, width: u16, height: u16) -> Board {
        let cache = tempfile::tempdir().expect("cache dir");
        let backlog = Backlog::discover(dir).expect("a backlog");
        let mut index =
            Index::open_at(&backlog, &cache.path().join("index.sqlite")).expect("index");
        index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
        let used = index.statuses().expect("statuses");
        let mut app = App::new(board_info_with(&backlog, &used), Keymap::default());
        app.resize(width, height);
        let root = backlog.root.clone();
        let mut worker = Worker::new(backlog, index);
        // Remembered view state goes to this test's own directory, never the user's.
        worker.state_file = Some(cache.path().join("state.toml"));
        let mut board = Board {
            app,
            worker,
            root,
            quit: false,
            editor_requests: Vec::new(),
            suspended: 0,
            _cache: cache,
        };
        let snapshot = board.worker.snapshot().expect("snapshot");
        board.deliver(vec![snapshot]);
        board
    }

    /// Press keys written like `"jjL"`, `"<enter>"`, `"<esc>"`, `"<c-r>"`, `"<s-right>"`.
    pub fn press(&mut self, keys: &str) -> &mut Self {
        for key in parse_keys(keys) {
            let effects = self.app.key(key);
            self.run(effects);
        }
        self
    }

    /// Type text into an open prompt, character by character.
    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            let effects = self
                .app
                .key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            self.run(effects);
        }
        self
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Quit => self.quit = true,
                Effect::Editor(path) => self.editor_requests.push(path),
                Effect::EditorAt(path, line) => self.editor_requests.push(match line {
                    Some(line) => format!("{path}:{line}"),
                    None => path,
                }),
                Effect::Suspend => self.suspended += 1,
                Effect::Request(request) => {
                    let msgs = self.worker.handle(request);
                    self.deliver(msgs);
                }
            }
        }
    }

    /// Hand worker messages to the app, and carry out what they ask for in turn.
    pub fn deliver(&mut self, msgs: Vec<Msg>) {
        for msg in msgs {
            let effects = self.app.msg(msg);
            self.run(effects);
        }
    }

    /// Assert that the status line's last message says `text` (showing it when it does not).
    pub fn assert_message_contains(&self, text: &str) {
        assert!(
            self.app
                .message
                .as_deref()
                .is_some_and(|m| m.contains(text)),
            "status line should say {text:?}: {:?}",
            self.app.message
        );
    }

    pub fn focused_id(&self) -> Option<String> {
        self.app.focused_card().map(|c| c.id.to_string())
    }

    pub fn focused_path(&self) -> PathBuf {
        self.root
            .join(&*self.app.focused_card().expect("a focused card").path)
    }

    pub fn column_ids(&self, col: usize) -> Vec<String> {
        self.app.cards.visible[col]
            .iter()
            .filter_map(|s| self.app.cards.card(*s))
            .map(|c| c.id.to_string())
            .collect()
    }

    /// The screen as text, drawn on ratatui's TestBackend with `theme`. The backlog root in
    /// the title bar is replaced by `<root>` so snapshots do not depend on the temp dir.
    pub fn screen(&mut self, theme: &Theme) -> String {
        let root = std::mem::replace(&mut self.app.info.root, "<root>".into());
        let mut terminal =
            Terminal::new(TestBackend::new(self.app.width, self.app.height)).expect("terminal");
        terminal
            .draw(|f| view::render(&self.app, theme, f))
            .expect("draw");
        self.app.info.root = root;
        format!("{}", terminal.backend())
    }
}

fn parse_keys(keys: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut chars = keys.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '<' {
            out.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            continue;
        }
        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
        let (mods, base) = match name.split_once('-') {
            Some(("c", b)) => (KeyModifiers::CONTROL, b),
            Some(("s", b)) => (KeyModifiers::SHIFT, b),
            _ => (KeyModifiers::NONE, name.as_str()),
        };
        let code = match base {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "bs" => KeyCode::Backspace,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "del" => KeyCode::Delete,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "pgdn" => KeyCode::PageDown,
            "pgup" => KeyCode::PageUp,
            other => KeyCode::Char(other.chars().next().expect("a key name")),
        };
        out.push(KeyEvent::new(code, mods));
    }
    out
}

/// A writable copy of the bundled demo backlog.
pub fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    tack::demo::unpack(dir.path()).expect("unpack demo");
    dir
}
