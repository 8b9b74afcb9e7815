//! The board: a ratatui kanban over the index.
//!
//! Shape (after ratatui's TEA template and gitui): [`app::App`] is the state and knows nothing
//! of the terminal; [`view`] renders it; [`worker`] owns the disk and the index on its own
//! thread; this module runs the one event loop that feeds keys, worker messages and ticks to
//! the app, draws only when something changed, and carries out the app's effects.

pub mod app;
pub mod cards;
pub mod keymap;
pub mod list;
pub mod markdown;
pub mod memory;
pub mod prompt;
pub mod state;
pub mod theme;
pub mod view;
pub mod worker;

use std::collections::HashMap;
use std::io::stdout;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use color_eyre::eyre::{eyre, Result, WrapErr};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::DefaultTerminal;
use serde::Deserialize;

use crate::index::Index;
use crate::layout::Backlog;
use app::{App, BoardInfo, Effect};
use theme::Theme;
use worker::{Input, Msg, Request, Worker};

/// `config.toml` in the XDG config directory (`$TACK_CONFIG` overrides the path).
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    pub theme: Option<String>,
    #[serde(default)]
    pub keys: HashMap<String, Vec<String>>,
}

impl Config {
    /// The user's configuration; a broken file is reported, not fatal.
    pub fn load() -> (Config, Option<String>) {
        let path = std::env::var_os("TACK_CONFIG")
            .map(std::path::PathBuf::from)
            .or_else(|| dirs::config_dir().map(|d| d.join("tack/config.toml")));
        let Some(path) = path else {
            return (Config::default(), None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match toml::from_str(&text) {
                Ok(config) => (config, None),
                Err(e) => (
                    Config::default(),
                    Some(format!("{}: {}", path.display(), e.message())),
                ),
            },
            Err(_) => (Config::default(), None),
        }
    }
}

/// The board's static facts, from the backlog.
pub fn board_info(backlog: &Backlog) -> BoardInfo {
    board_info_with(backlog, &[])
}

/// The board's static facts, with the columns of the statuses the cards use placed where the
/// layout puts them (kano's legacy New first).
pub fn board_info_with(backlog: &Backlog, used_statuses: &[String]) -> BoardInfo {
    BoardInfo {
        root: backlog.root.to_string_lossy().to_string(),
        layout: backlog.kind,
        statuses: backlog.columns(used_statuses.iter().map(String::as_str)),
        products: backlog.products.iter().map(|p| p.name.clone()).collect(),
        priorities: backlog.priority_scale([]),
    }
}

/// Everything the event loop waits on.
enum UiEvent {
    Terminal(Event),
    Worker(Msg),
}

/// Lets the event loop stop the input thread while `$EDITOR` owns the terminal, so no key
/// typed into the editor is read by the board.
struct InputGate {
    paused: AtomicBool,
    reading: Mutex<()>,
}

/// Open the board on `backlog`, focusing the card at `focus` (root-relative) if given.
pub fn run(backlog: Backlog, index: Index, focus: Option<String>) -> Result<()> {
    let (config, config_error) = Config::load();
    let (keymap, warnings) = keymap::Keymap::with_overrides(&config.keys);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::select(config.theme.as_deref(), no_color);
    // One indexed query (distinct statuses) so the columns start in the layout's order.
    let used = index.statuses().unwrap_or_default();
    let mut app = App::new(board_info_with(&backlog, &used), keymap);
    app.theme = theme.clone();
    app.cards.column_sorts = state::load(state::path(&backlog.root).as_deref());
    app.pending_focus = focus;
    // Every notice and config mistake at once, not only the first: a user fixing the config
    // should not have to restart to find the next one.
    let notices: Vec<String> = index
        .notices
        .iter()
        .cloned()
        .chain(config_error)
        .chain(Theme::check_name(config.theme.as_deref()))
        .chain(warnings)
        .collect();
    if !notices.is_empty() {
        app.message = Some(notices.join("; "));
        app.message_error = true;
    }

    let (ui_tx, ui_rx) = mpsc::channel::<UiEvent>();
    let (work_tx, work_rx) = mpsc::channel::<Input>();
    let watcher = start_watcher(&backlog, &index, work_tx.clone(), &mut app);
    // With a watcher, its start-up reconcile (reported as Resynced) replaces the worker's own.
    let reconcile_first = watcher.is_none();
    if !reconcile_first {
        app.busy = Some("reading files".into());
    }
    let worker_thread = spawn_worker(
        Worker::new(backlog, index),
        work_rx,
        ui_tx.clone(),
        reconcile_first,
    )?;
    let gate = Arc::new(InputGate {
        paused: AtomicBool::new(false),
        reading: Mutex::new(()),
    });
    spawn_input(gate.clone(), ui_tx)?;

    // `try_init`, not `init`: a terminal that refuses raw mode is an error to report, not a
    // panic (the caller has already checked that stdin and stdout are terminals).
    let result = ratatui::try_init()
        .wrap_err("cannot start the board on this terminal")
        .and_then(|mut terminal| {
            event_loop(&mut terminal, &mut app, &theme, &ui_rx, &work_tx, &gate)
        });
    ratatui::restore();
    drop(watcher);
    drop(work_tx);
    let _ = worker_thread.join();
    result
}

fn start_watcher(
    backlog: &Backlog,
    index: &Index,
    tx: mpsc::Sender<Input>,
    app: &mut App,
) -> Option<crate::watch::WatchHandle> {
    if index.path.as_os_str() == ":memory:" {
        app.message = Some("index in memory: live updates are off for this run".into());
        return None;
    }
    let on_event = move |event| {
        let _ = tx.send(Input::Watch(event));
    };
    match crate::watch::spawn(backlog.clone(), index.path.clone(), on_event) {
        Ok(handle) => Some(handle),
        Err(e) => {
            app.message = Some(format!("live updates are off: {e:#}"));
            None
        }
    }
}

fn spawn_worker(
    worker: Worker,
    inputs: mpsc::Receiver<Input>,
    ui: mpsc::Sender<UiEvent>,
    reconcile_first: bool,
) -> Result<std::thread::JoinHandle<()>> {
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    std::thread::Builder::new()
        .name("tack-forward".into())
        .spawn(move || {
            for msg in msg_rx {
                if ui.send(UiEvent::Worker(msg)).is_err() {
                    return;
                }
            }
        })
        .wrap_err("cannot start a thread")?;
    std::thread::Builder::new()
        .name("tack-worker".into())
        .spawn(move || worker.run(inputs, msg_tx, reconcile_first))
        .wrap_err("cannot start the worker thread")
}

fn spawn_input(gate: Arc<InputGate>, ui: mpsc::Sender<UiEvent>) -> Result<()> {
    std::thread::Builder::new()
        .name("tack-input".into())
        .spawn(move || loop {
            if gate.paused.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            let Ok(_reading) = gate.reading.lock() else {
                return;
            };
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if ui.send(UiEvent::Terminal(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        })
        .wrap_err("cannot start the input thread")?;
    Ok(())
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    theme: &Theme,
    events: &mpsc::Receiver<UiEvent>,
    worker: &mpsc::Sender<Input>,
    gate: &InputGate,
) -> Result<()> {
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| view::render(app, theme, frame))?;
            dirty = false;
        }
        // Sleep until something happens; wake to turn the spinner, or to expire a message.
        let wake = if app.busy.is_some() {
            Some(Duration::from_millis(100))
        } else if app.message.is_some() && !app.message_error {
            Some(Duration::from_millis(500))
        } else {
            None
        };
        let first = if let Some(wake) = wake {
            match events.recv_timeout(wake) {
                Ok(ev) => Some(ev),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        } else {
            Some(
                events
                    .recv()
                    .map_err(|_| eyre!("the input thread stopped"))?,
            )
        };
        if first.is_none() && app.busy.is_some() {
            app.tick();
            dirty = true;
        }
        dirty |= app.expire_message(std::time::Instant::now());
        for ev in first
            .into_iter()
            .chain(std::iter::from_fn(|| events.try_recv().ok()))
        {
            let effects = match ev {
                UiEvent::Terminal(Event::Key(key)) if key.kind != KeyEventKind::Release => {
                    app.key(key)
                }
                UiEvent::Terminal(Event::Resize(w, h)) => {
                    app.resize(w, h);
                    vec![]
                }
                UiEvent::Terminal(_) => continue,
                UiEvent::Worker(msg) => app.msg(msg),
            };
            dirty = true;
            for effect in effects {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Request(request) => send(worker, request)?,
                    Effect::Editor(path) => edit_file(terminal, gate, app, worker, path, None)?,
                    Effect::EditorAt(path, line) => {
                        edit_file(terminal, gate, app, worker, path, line)?
                    }
                    Effect::Suspend => {
                        suspended(terminal, gate, || {
                            stop_self();
                            Ok(())
                        })?;
                        app.message = Some("welcome back".into());
                    }
                }
            }
        }
    }
}

/// Run the editor on `path` (at `line` when known), then re-read the file.
fn edit_file(
    terminal: &mut DefaultTerminal,
    gate: &InputGate,
    app: &mut App,
    worker: &mpsc::Sender<Input>,
    path: String,
    line: Option<u32>,
) -> Result<()> {
    let root = std::path::PathBuf::from(&app.info.root);
    match suspended(terminal, gate, || run_editor(&root, &path, line)) {
        Ok(()) => app.message = Some(format!("edited {path}")),
        Err(e) => app.message = Some(format!("{e:#}")),
    }
    send(worker, Request::Refresh { path })
}

/// Stop this process as the shell's Ctrl-z would (SIGTSTP); returns once the shell's `fg`
/// continues it.
fn stop_self() {
    // SAFETY: raise only sends a signal to this process; SIGTSTP's default action stops it
    // until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
}

fn send(worker: &mpsc::Sender<Input>, request: Request) -> Result<()> {
    worker
        .send(Input::Request(request))
        .map_err(|_| eyre!("the worker thread stopped"))
}

/// Give the terminal to `f`: stop reading keys, leave the alternate screen and raw mode, run
/// it, then take the terminal back and redraw everything.
fn suspended<T>(
    terminal: &mut DefaultTerminal,
    gate: &InputGate,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    gate.paused.store(true, Ordering::SeqCst);
    let reading = gate
        .reading
        .lock()
        .map_err(|_| eyre!("the input thread panicked"))?;
    disable_raw_mode()?;
    execute!(stdout(), LeaveAlternateScreen)?;
    let result = f();
    execute!(stdout(), EnterAlternateScreen)?;
    enable_raw_mode()?;
    // Keys typed while the editor ran and not read by it are still queued on the terminal:
    // they were meant for the editor, so they must not reach the board.
    while event::poll(Duration::ZERO)? {
        let _ = event::read()?;
    }
    terminal.clear()?;
    drop(reading);
    gate.paused.store(false, Ordering::SeqCst);
    result
}

/// Run `$VISUAL` or `$EDITOR` (or `vi`) on the card. The command is split the way a shell
/// would (`code --wait` works) and the path is passed as an argument, never through a shell.
/// With a line, editors known to take `+LINE` get it.
pub fn run_editor(root: &Path, path: &str, line: Option<u32>) -> Result<()> {
    let command = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let words = shell_words::split(&command)
        .wrap_err_with(|| format!("cannot read the editor command `{command}`"))?;
    let (program, args) = words
        .split_first()
        .ok_or_else(|| eyre!("the editor command is empty"))?;
    let mut command = std::process::Command::new(program);
    command.args(args);
    if let Some(line) = line.filter(|_| takes_plus_line(program)) {
        command.arg(format!("+{line}"));
    }
    let status = command
        .arg(root.join(path))
        .status()
        .wrap_err_with(|| format!("cannot run the editor `{program}`"))?;
    if !status.success() {
        return Err(eyre!("the editor exited with {status}"));
    }
    Ok(())
}

/// Editors that open a file at a line given as `+LINE` before it.
fn takes_plus_line(program: &str) -> bool {
    let name = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    matches!(
        name,
        "vi" | "vim" | "nvim" | "nano" | "emacs" | "emacsclient" | "micro" | "kak" | "ne" | "joe"
    )
}
