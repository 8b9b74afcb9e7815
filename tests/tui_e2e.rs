//! The board end to end in a real terminal: the real `tack` binary runs inside tmux, keys are
//! sent with `tmux send-keys`, and the screen is read back with `tmux capture-pane`, the way a
//! user sees it. Every wait polls the screen (or the disk) with a generous timeout that only
//! guards against hanging; nothing asserts on timing.
//!
//! tmux is required: without it these tests fail (they do not skip).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails (a hang guard, not a timing assertion).
const PATIENCE: Duration = Duration::from_secs(30);

/// One tmux server on a private socket running one session with `tack` in it. Dropping it
/// kills the server, also when the test panics.
struct Tmux {
    /// The server's socket, inside `dir` (so no two tests, or two runs, share a server).
    socket: PathBuf,
    /// This run's own directory: the socket, the cache directory (the index), no config.
    dir: tempfile::TempDir,
    /// The pane's rows.
    height: u16,
}

const SESSION: &str = "e2e";

/// Fail loudly (never skip) when tmux is not installed.
fn require_tmux() {
    match Command::new("tmux").arg("-V").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`tmux -V` failed ({}): the board's end-to-end tests need tmux \
             (apt-get install -y tmux)",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "tmux is not installed ({e}): the board's end-to-end tests need it \
             (apt-get install -y tmux)"
        ),
    }
}

/// How the board is started: working directory, arguments, extra environment.
struct Run<'a> {
    name: &'a str,
    cwd: &'a Path,
    args: Vec<OsString>,
    env: Vec<(&'a str, OsString)>,
    /// Run tack inside `sh -c` that records `stty -g` before and after, and its exit status.
    record: Option<Record>,
    /// The terminal's columns and rows.
    size: (u16, u16),
    /// Start an interactive shell in the pane instead of tack (the test types the command).
    shell: bool,
}

/// Where the `sh -c` wrapper writes what it saw around tack.
#[derive(Clone)]
struct Record {
    stty_before: PathBuf,
    stty_after: PathBuf,
    /// tack's exit status, written once it has exited. Read from here rather than from tmux:
    /// tmux 3.3 under load may mark a pane dead before it has reaped the process, and then
    /// `#{pane_dead_status}` stays empty.
    exit_status: PathBuf,
}

impl<'a> Run<'a> {
    fn new(name: &'a str, cwd: &'a Path) -> Self {
        Run {
            name,
            cwd,
            args: Vec::new(),
            env: Vec::new(),
            record: None,
            size: (120, 36),
            shell: false,
        }
    }

    fn size(mut self, width: u16, height: u16) -> Self {
        self.size = (width, height);
        self
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    fn env(mut self, key: &'a str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key, value.as_ref().to_os_string()));
        self
    }

    fn start(self) -> Tmux {
        require_tmux();
        let dir = tempfile::Builder::new()
            .prefix(&format!("tack-e2e-{}-", self.name))
            .tempdir()
            .expect("temp dir");
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            dir,
            height: self.size.1,
        };
        // `env` gives tack a known environment whatever the tmux server inherited.
        let mut command: Vec<OsString> = vec!["env".into()];
        for var in [
            "VISUAL",
            "EDITOR",
            "NO_COLOR",
            "TACK_INDEX",
            "TACK_MIRROR",
            "TACK_SHARED",
        ] {
            command.push("-u".into());
            command.push(var.into());
        }
        let mut cache_var = OsString::from("TACK_CACHE_DIR=");
        cache_var.push(tmux.dir.path().join("cache"));
        command.push(cache_var);
        let mut state_var = OsString::from("TACK_STATE_DIR=");
        state_var.push(tmux.dir.path().join("state"));
        command.push(state_var);
        let mut config_var = OsString::from("TACK_CONFIG=");
        config_var.push(tmux.dir.path().join("no-config.toml"));
        command.push(config_var);
        for (key, value) in &self.env {
            let mut pair = OsString::from(format!("{key}="));
            pair.push(value);
            command.push(pair);
        }
        if let Some(record) = &self.record {
            // sh -c SCRIPT before after status tack ARGS: $0 = before, $1 = after,
            // $2 = status, then the command.
            command.extend(["sh".into(), "-c".into()]);
            command.push(
                "stty -g > \"$0\"; after=$1; status=$2; shift 2; \"$@\"; code=$?; \
                 stty -g > \"$after\"; echo $code > \"$status.tmp\"; mv \"$status.tmp\" \"$status\"; \
                 exit $code"
                    .into(),
            );
            command.push(record.stty_before.clone().into());
            command.push(record.stty_after.clone().into());
            command.push(record.exit_status.clone().into());
        }
        if self.shell {
            // A shell with job control, so Ctrl-z and `fg` work as they do for a user.
            command.extend(["bash", "--norc", "--noprofile", "-i"].map(OsString::from));
        } else {
            command.push(env!("CARGO_BIN_EXE_tack").into());
            command.extend(self.args);
        }
        let mut args: Vec<OsString> = vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            SESSION.into(),
            "-x".into(),
            self.size.0.to_string().into(),
            "-y".into(),
            self.size.1.to_string().into(),
            "-c".into(),
            self.cwd.into(),
            "--".into(),
        ];
        args.extend(command);
        // In the same command queue, so the option is set before tack can exit.
        args.extend([";", "set-option", "-t", SESSION, "remain-on-exit", "on"].map(OsString::from));
        let out = tmux.command(&args);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }
}

impl Tmux {
    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The screen as text (`ansi`: with its colour and style escapes).
    fn screen_with(&self, ansi: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", SESSION];
        if ansi {
            args.push("-e");
        }
        let out = self.command(&args);
        assert!(
            out.status.success(),
            "tmux capture-pane failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.screen_with(false)
    }

    /// Send tmux key names (`L`, `Enter`, `Escape`), one `send-keys` each, so an Escape is
    /// never read together with the next key as Alt+key.
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let out = self.command(&["send-keys", "-t", SESSION, key]);
            assert!(out.status.success(), "tmux send-keys {key} failed");
            if *key == "Escape" {
                std::thread::sleep(Duration::from_millis(150));
            }
        }
    }

    /// A tmux format about the pane (`#{pane_dead}`).
    fn format(&self, format: &str) -> String {
        let out = self.command(&["display-message", "-p", "-t", SESSION, format]);
        assert!(out.status.success(), "tmux display-message failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Poll the screen until `ready` holds; fail with the last screen after [`PATIENCE`].
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if started.elapsed() > PATIENCE {
                let dead = self.format("#{pane_dead} #{pane_dead_status}");
                panic!(
                    "timed out waiting for {what} (pane dead/status: {dead}); screen:\n{screen}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for_text(&self, text: &str) -> String {
        self.wait_for(&format!("`{text}` on screen"), |s| s.contains(text))
    }

    /// Wait until the board shows its first focused card; return the screen.
    fn wait_for_board(&self) -> String {
        let screen = self.wait_for("a focused card", |s| focused_id(s).is_some());
        assert_frame(&screen, self.height);
        screen
    }

    /// Wait until tack has exited (as the wrapper of [`Run::record`] reports); return its
    /// exit status.
    fn wait_for_exit(&self, record: &Record) -> i32 {
        let started = Instant::now();
        loop {
            if let Ok(status) = std::fs::read_to_string(&record.exit_status) {
                return status.trim().parse().expect("an exit status");
            }
            if started.elapsed() > PATIENCE {
                panic!("tack did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]);
    }
}

/// The board's frame is whole: the title bar on the first line, the key hints on the last,
/// nothing written over it (stray output on the terminal would scroll or smudge it).
fn assert_frame(screen: &str, height: u16) {
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(
        lines.len(),
        height as usize,
        "a full {height}-line screen:\n{screen}"
    );
    assert!(
        lines.first().is_some_and(|l| l.starts_with(" tack  ")),
        "the title bar is the first line:\n{screen}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("? help") && l.contains("q quit")),
        "the key hints are the last line:\n{screen}"
    );
    let borders = lines[1..lines.len() - 2]
        .iter()
        .all(|l| l.starts_with(['│', '┃', '╭', '┏', '╰', '┗']));
    assert!(
        borders,
        "every board line starts with a column border:\n{screen}"
    );
}

/// Wait until `check` holds for the file's text (the disk side of an asynchronous edit).
fn wait_for_file(path: &Path, what: &str, check: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if check(&text) {
            return text;
        }
        if started.elapsed() > PATIENCE {
            panic!(
                "timed out waiting for {what} in {}:\n{text}",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until `path` exists (an editor script's sign that it runs).
fn wait_for_path(path: &Path, what: &str) {
    let started = Instant::now();
    while !path.exists() {
        if started.elapsed() > PATIENCE {
            panic!(
                "timed out waiting for {what} ({} never appeared)",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The id on the focused card's first line (the card whose lines start with `▌`).
fn focused_id(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains('▌'))?;
    let after = &line[line.find('▌')? + '▌'.len_utf8()..];
    after
        .split_whitespace()
        .find(|w| w.contains('-') && w.chars().any(|c| c.is_ascii_digit()))
        .map(|w| w.trim_end_matches('…').to_string())
}

/// The screen columns (in characters) of the board column whose header names `status`.
fn column_span(screen: &str, status: &str) -> std::ops::Range<usize> {
    let header = screen
        .lines()
        .find(|l| l.contains(&format!(" {status} ")) && (l.contains('╭') || l.contains('┏')))
        .unwrap_or_else(|| panic!("no column header `{status}` on screen:\n{screen}"));
    let chars: Vec<char> = header.chars().collect();
    let name: Vec<char> = format!(" {status} ").chars().collect();
    let at = (0..chars.len())
        .find(|&i| chars[i..].starts_with(&name))
        .expect("header found above");
    let start = (0..at)
        .rev()
        .find(|&i| matches!(chars[i], '╭' | '┏'))
        .expect("a column's left corner");
    let end = (at..chars.len())
        .find(|&i| matches!(chars[i], '╮' | '┓'))
        .expect("a column's right corner");
    start..end + 1
}

/// The number of cards a column header shows (`To Do 13`).
fn column_count(screen: &str, status: &str) -> usize {
    let header = screen
        .lines()
        .find(|l| l.contains(&format!(" {status} ")) && (l.contains('╭') || l.contains('┏')))
        .unwrap_or_else(|| panic!("no column header `{status}` on screen:\n{screen}"));
    let rest = &header[header.find(&format!(" {status} ")).expect("found") + status.len() + 2..];
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no card count after `{status}` in `{header}`"))
}

/// The character column of the focus marker `▌` on the focused card's first line.
fn focus_column(screen: &str) -> usize {
    let line = screen
        .lines()
        .find(|l| l.contains('▌'))
        .unwrap_or_else(|| panic!("no focused card on screen:\n{screen}"));
    line.chars().position(|c| c == '▌').expect("found")
}

/// The card file whose frontmatter has `id: ID` (Backlog.md) or `id: ID` (kano).
fn card_file(root: &Path, id: &str) -> PathBuf {
    common::item_files(root)
        .into_iter()
        .map(|rel| root.join(rel))
        .find(|path| {
            std::fs::read_to_string(path)
                .map(|text| text.lines().any(|l| l == format!("id: {id}")))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no card file with id {id} in {}", root.display()))
}

/// A frontmatter field's value as written (`status: To Do` → `To Do`).
fn field(text: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}: ");
    text.lines()
        .skip(1)
        .take_while(|l| *l != "---")
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim_matches('"').to_string())
}

/// Write `text` to `path` the way many editors save: a temp file beside it, renamed over it.
fn rename_save(path: &Path, text: &str) {
    let temp = path.with_file_name(".tack-e2e-save.tmp");
    std::fs::write(&temp, text).expect("write the temp file");
    std::fs::rename(&temp, path).expect("rename over the card");
}

/// An executable shell script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write the script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn l_moves_the_focused_card_and_only_its_status_line_changes() {
    let backlog = common::generate("backlogmd", 30);
    common::git_init(backlog.path());
    let tmux = Run::new("move-backlogmd", backlog.path()).start();
    let before = tmux.wait_for_board();
    let id = focused_id(&before).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    let text = std::fs::read_to_string(&file).expect("read the card");
    assert_eq!(field(&text, "status").as_deref(), Some("To Do"), "{text}");
    assert!(
        column_span(&before, "To Do").contains(&focus_column(&before)),
        "the first card is focused in To Do:\n{before}"
    );
    let (todo, doing) = (
        column_count(&before, "To Do"),
        column_count(&before, "In Progress"),
    );

    tmux.keys(&["L"]);
    let after = tmux.wait_for_text(&format!("moved {id} To Do → In Progress"));
    assert_frame(&after, 36);
    let text = wait_for_file(&file, "status: In Progress", |t| {
        t.contains("\nstatus: In Progress\n")
    });
    assert_eq!(field(&text, "status").as_deref(), Some("In Progress"));
    // The card is still focused, now in the In Progress column, and the counts moved with it.
    assert_eq!(focused_id(&after).as_deref(), Some(id.as_str()), "{after}");
    assert!(
        column_span(&after, "In Progress").contains(&focus_column(&after)),
        "the moved card is focused in In Progress:\n{after}"
    );
    assert_eq!(column_count(&after, "To Do"), todo - 1, "{after}");
    assert_eq!(column_count(&after, "In Progress"), doing + 1, "{after}");

    let diff = common::git_diff(backlog.path());
    let (files, lines) = common::diff_lines(&diff);
    let rel = file.strip_prefix(backlog.path()).unwrap().to_str().unwrap();
    assert_eq!(files, vec![rel.to_string()], "{diff}");
    let (status, others): (Vec<_>, Vec<_>) =
        lines.iter().partition(|l| l[1..].starts_with("status:"));
    assert_eq!(
        status,
        vec!["-status: To Do", "+status: In Progress"],
        "{diff}"
    );
    // Backlog.md stamps `updated_date`; nothing else may change.
    assert!(
        others.iter().all(|l| l[1..].starts_with("updated_date: ")),
        "only status and updated_date change:\n{diff}"
    );
    assert!(
        others.iter().filter(|l| l.starts_with('+')).count() == 1,
        "{diff}"
    );
}

/// Seven edits of one card from the board (move, move back, priority up and down, title,
/// assignees, labels), then seven `u`: the file is byte for byte as it was and `git status`
/// is clean.
#[test]
fn seven_board_edits_and_seven_undos_leave_git_status_clean() {
    let backlog = common::generate("backlogmd", 30);
    common::git_init(backlog.path());
    let tmux = Run::new("undo-seven", backlog.path()).start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    let original = std::fs::read_to_string(&file).expect("read the card");
    let steps: [(&[&str], &str); 7] = [
        (&["L"], "moved"),
        (&["H"], "moved"),
        (&["p"], "priority"),
        (&["P"], "priority"),
        (&["e", "C-u", "Retitled by tmux", "Enter"], "retitled"),
        (&["a", "C-u", "zoe, @yan", "Enter"], "assigned to zoe, @yan"),
        (&["t", "C-u", "ui, café", "Enter"], "labels → ui, café"),
    ];
    for (keys, said) in steps {
        let before = std::fs::read_to_string(&file).expect("read the card");
        tmux.keys(keys);
        tmux.wait_for_text(said);
        wait_for_file(&file, "the edit", |t| t != before);
    }
    let edited = std::fs::read_to_string(&file).expect("read the card");
    assert!(edited.contains("title: Retitled by tmux"), "{edited}");
    assert!(edited.contains("  - zoe\n  - '@yan'\n"), "{edited}");
    for n in 0..7 {
        let before = std::fs::read_to_string(&file).expect("read the card");
        tmux.keys(&["u"]);
        wait_for_file(&file, &format!("undo {n}"), |t| t != before);
    }
    let restored = wait_for_file(&file, "the original bytes", |t| t == original);
    assert_eq!(restored, original);
    tmux.wait_for_text("undo: moved");
    assert_eq!(common::git_status(backlog.path()), Vec::<String>::new());
    tmux.keys(&["u"]);
    tmux.wait_for_text("nothing to undo");
}

/// The help at 80×24 scrolls to its last line (the glyph legend) and closes with Esc.
#[test]
fn help_scrolls_to_its_last_line_at_80x24() {
    let backlog = common::generate("backlogmd", 10);
    let tmux = Run::new("help-scroll", backlog.path()).size(80, 24).start();
    tmux.wait_for_board();
    tmux.keys(&["?"]);
    let top = tmux.wait_for_text("↓ more");
    assert!(
        !top.contains("the card's parent"),
        "the legend is below the fold:\n{top}"
    );
    tmux.keys(&["G"]);
    let end = tmux.wait_for_text("the card's parent");
    assert!(!end.contains("↓ more"), "{end}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help closed", |s| !s.contains("keys (j/k scroll"));
}

/// At 40×12 the archive question shows its (y/n), and y archives.
#[test]
fn the_archive_question_fits_at_40x12() {
    let backlog = common::generate("backlogmd", 10);
    let tmux = Run::new("archive-40", backlog.path()).size(40, 12).start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    tmux.keys(&["x"]);
    let asked = tmux.wait_for_text("(y/n)");
    assert!(asked.contains(&format!("archive {id}")), "{asked}");
    tmux.keys(&["y"]);
    tmux.wait_for_text("archived");
    assert!(!file.exists(), "the card left backlog/tasks");
}

/// Ctrl-z gives the terminal back to the shell; `fg` brings the board back, drawn again.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_resumes() {
    let backlog = common::generate("backlogmd", 10);
    let mut run = Run::new("suspend", backlog.path());
    run.shell = true;
    let tmux = run.start();
    let mut command = format!("{} ", env!("CARGO_BIN_EXE_tack"));
    command.push_str(&backlog.path().display().to_string());
    tmux.keys(&[&command, "Enter"]);
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    tmux.keys(&["C-z"]);
    tmux.wait_for("the shell's job report", |s| s.contains("Stopped"));
    tmux.keys(&["fg", "Enter"]);
    let back = tmux.wait_for("the board again", |s| focused_id(s).is_some());
    assert_eq!(focused_id(&back), Some(id));
    tmux.keys(&["q"]);
    tmux.wait_for("the shell prompt", |s| focused_id(s).is_none());
}

/// `z` packs a column into one line per card; `v` shows the list, sorted with `o`.
#[test]
fn compact_density_and_the_list_view() {
    let backlog = common::generate("backlogmd", 200);
    let tmux = Run::new("views", backlog.path()).size(120, 35).start();
    let screen = tmux.wait_for_board();
    let before = screen.matches("TASK-").count();
    tmux.keys(&["z"]);
    let compact = tmux.wait_for_text("compact density");
    let after = compact.matches("TASK-").count();
    assert!(
        after >= 4 * before,
        "{before} cards shown → {after}:\n{compact}"
    );
    tmux.keys(&["v"]);
    let list = tmux.wait_for_text("o sort");
    for column in [
        "id", "title", "status", "priority", "assignee", "labels", "updated",
    ] {
        assert!(list.contains(column), "{column}:\n{list}");
    }
    tmux.keys(&["o"]);
    tmux.wait_for_text("sorted by priority");
    tmux.keys(&["v"]);
    tmux.wait_for_text("board view");
}

#[test]
fn kano_move_changes_state_and_appends_a_worklog_line() {
    let backlog = common::generate("kabsd", 30);
    common::git_init(backlog.path());
    let tmux = Run::new("move-kano", backlog.path()).start();
    let before = tmux.wait_for_board();
    let id = focused_id(&before).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    let old = field(&std::fs::read_to_string(&file).unwrap(), "state").expect("a state");
    assert_eq!(old, "Proposed", "the first column is Proposed");

    tmux.keys(&["L"]);
    tmux.wait_for_text(&format!("moved {id} Proposed → Planned"));
    let text = wait_for_file(&file, "state: Planned", |t| {
        t.contains("\nstate: Planned\n")
    });
    assert_eq!(field(&text, "state").as_deref(), Some("Planned"));
    assert!(
        text.trim_end().ends_with("[agent=tack] State -> Planned."),
        "a worklog line is appended:\n{text}"
    );

    let diff = common::git_diff(backlog.path());
    let (files, lines) = common::diff_lines(&diff);
    let rel = file.strip_prefix(backlog.path()).unwrap().to_str().unwrap();
    assert_eq!(files, vec![rel.to_string()], "{diff}");
    let added: Vec<&String> = lines.iter().filter(|l| l.starts_with('+')).collect();
    let removed: Vec<&String> = lines.iter().filter(|l| l.starts_with('-')).collect();
    assert!(removed.contains(&&"-state: Proposed".to_string()), "{diff}");
    assert!(added.contains(&&"+state: Planned".to_string()), "{diff}");
    assert!(
        added
            .last()
            .is_some_and(|l| l.ends_with("[agent=tack] State -> Planned.")),
        "{diff}"
    );
    // state, updated and the worklog line: nothing else.
    assert!(
        lines.iter().all(|l| l[1..].starts_with("state: ")
            || l[1..].starts_with("updated: ")
            || l.ends_with("[agent=tack] State -> Planned.")),
        "{diff}"
    );
    assert_eq!(removed.len(), lines.len() - added.len());
    assert!(added.len() <= 3 && removed.len() <= 2, "{diff}");
}

#[test]
fn a_rename_save_from_outside_shows_the_new_title() {
    let backlog = common::generate("backlogmd", 30);
    let tmux = Run::new("external-edit", backlog.path()).start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    let text = std::fs::read_to_string(&file).unwrap();
    let old_title = field(&text, "title").expect("a title");
    assert!(screen.contains(&old_title), "{screen}");

    let new_title = "Renamed from outside";
    let edited = text.replacen(
        &format!("\ntitle: {old_title}\n"),
        &format!("\ntitle: {new_title}\n"),
        1,
    );
    assert_ne!(edited, text);
    rename_save(&file, &edited);

    let screen = tmux.wait_for_text(new_title);
    assert_frame(&screen, 36);
    assert!(
        !screen.contains(&old_title),
        "the old title is gone:\n{screen}"
    );
    assert_eq!(
        focused_id(&screen).as_deref(),
        Some(id.as_str()),
        "{screen}"
    );
}

#[test]
fn q_quits_with_status_0_and_restores_the_terminal() {
    let backlog = common::generate("backlogmd", 30);
    let records = tempfile::tempdir().expect("temp dir");
    let record = Record {
        stty_before: records.path().join("before"),
        stty_after: records.path().join("after"),
        exit_status: records.path().join("status"),
    };
    let mut run = Run::new("quit", backlog.path());
    run.record = Some(record.clone());
    let tmux = run.start();
    tmux.wait_for_board();
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the board uses the alternate screen"
    );

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_for_exit(&record), 0, "tack exits with status 0");
    tmux.wait_for("the alternate screen to be left", |_| {
        tmux.format("#{alternate_on}") == "0"
    });
    let screen = tmux.screen();
    assert!(
        !screen.contains("TASK-") && !screen.contains("? help") && !screen.contains('▌'),
        "no board left on the screen:\n{screen}"
    );
    let before = std::fs::read_to_string(&record.stty_before).expect("stty before");
    let after = std::fs::read_to_string(&record.stty_after).expect("stty after");
    assert!(!before.trim().is_empty());
    assert_eq!(before, after, "the terminal modes are restored (stty -g)");
}

#[test]
fn tack_path_to_a_card_file_focuses_that_card() {
    let backlog = common::generate("backlogmd", 30);
    // The last Done card (by number): not in the first column, and likely below the fold.
    let (id, rel) = common::item_files(backlog.path())
        .into_iter()
        .filter_map(|rel| {
            let text = std::fs::read_to_string(backlog.path().join(&rel)).ok()?;
            (field(&text, "status")? == "Done").then(|| (field(&text, "id").unwrap(), rel))
        })
        .max_by_key(|(id, _)| id[5..].parse::<u32>().unwrap_or(0))
        .expect("a Done card");
    let tmux = Run::new("path", backlog.path()).arg(&rel).start();
    let screen = tmux.wait_for_board();
    assert_eq!(
        focused_id(&screen).as_deref(),
        Some(id.as_str()),
        "tack {rel} focuses {id}:\n{screen}"
    );
    assert!(
        column_span(&screen, "Done").contains(&focus_column(&screen)),
        "the focus is in the Done column:\n{screen}"
    );
}

#[test]
fn e_runs_the_editor_and_the_board_shows_the_new_body() {
    let backlog = common::generate("backlogmd", 30);
    let tools = tempfile::tempdir().unwrap();
    let started = tools.path().join("started");
    let release = tools.path().join("release");
    // The editor says it started, then waits for the test before appending to the body.
    let editor = script(
        tools.path(),
        "editor.sh",
        &format!(
            "#!/bin/sh\n: > '{}'\ni=0\nwhile [ ! -e '{}' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\nprintf '\\nAdded by the editor.\\n' >> \"$1\"\n",
            started.display(),
            release.display()
        ),
    );
    let tmux = Run::new("editor-append", backlog.path())
        .env("EDITOR", &editor)
        .start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);
    let status = field(&std::fs::read_to_string(&file).unwrap(), "status");

    tmux.keys(&["E"]);
    wait_for_path(&started, "the editor to start");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the board left the alternate screen while the editor runs"
    );
    std::fs::write(&release, "").unwrap();

    let rel = file.strip_prefix(backlog.path()).unwrap().to_str().unwrap();
    let screen = tmux.wait_for_text(&format!("edited {rel}"));
    assert_eq!(
        focused_id(&screen).as_deref(),
        Some(id.as_str()),
        "{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "1", "the board is back");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.ends_with("\nAdded by the editor.\n"), "{text}");
    assert_eq!(field(&text, "status"), status, "only the body changed");

    tmux.keys(&["Enter"]);
    tmux.wait_for_text("Added by the editor.");
}

#[test]
fn an_editor_that_replaces_the_file_sed_i_is_picked_up() {
    let backlog = common::generate("backlogmd", 30);
    let tools = tempfile::tempdir().unwrap();
    let editor = script(
        tools.path(),
        "editor.sh",
        "#!/bin/sh\nsed -i 's/^title: .*/title: Retitled by sed/' \"$1\"\n",
    );
    let tmux = Run::new("editor-sed", backlog.path())
        .env("EDITOR", &editor)
        .start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);

    tmux.keys(&["E"]);
    let screen = tmux.wait_for_text("Retitled by sed");
    assert_eq!(
        focused_id(&screen).as_deref(),
        Some(id.as_str()),
        "{screen}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(field(&text, "title").as_deref(), Some("Retitled by sed"));

    tmux.keys(&["Enter"]);
    tmux.wait_for_text(&format!("{id} · Retitled by sed"));
}

/// Keys typed while `$EDITOR` owns the terminal belong to the editor; an editor that does not
/// read them (a GUI editor, a script) must not let them reach the board afterwards.
#[test]
fn keys_typed_while_the_editor_runs_do_not_reach_the_board() {
    let backlog = common::generate("backlogmd", 30);
    common::git_init(backlog.path());
    let tools = tempfile::tempdir().unwrap();
    let started = tools.path().join("started");
    // The editor never reads its input: it waits until a key is pending on the terminal
    // (non-canonical mode, so a lone key counts), restores the modes and appends to the body.
    let editor = script(
        tools.path(),
        "editor.sh",
        &format!(
            "#!/bin/sh\nsaved=$(stty -g)\nstty -icanon -echo\n: > '{}'\n\
             python3 -c 'import fcntl, struct, termios, time\n\
             for _ in range(400):\n    \
                 if struct.unpack(\"i\", fcntl.ioctl(0, termios.FIONREAD, b\"0000\"))[0]: break\n    \
                 time.sleep(0.025)'\n\
             stty \"$saved\"\nprintf '\\nAdded by the editor.\\n' >> \"$1\"\n",
            started.display()
        ),
    );
    let tmux = Run::new("editor-keys", backlog.path())
        .env("EDITOR", &editor)
        .start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    let file = card_file(backlog.path(), &id);

    tmux.keys(&["E"]);
    wait_for_path(&started, "the editor to start");
    tmux.keys(&["L"]);
    tmux.wait_for("the board back from the editor", |screen| {
        focused_id(screen).is_some() && tmux.format("#{alternate_on}") == "1"
    });
    // Enter is read after anything left over from the editor, and the detail pane loads after
    // any move it caused: when it shows the new body, a leaked `L` would already have moved
    // the card.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_text("Added by the editor.");
    assert!(!screen.contains("moved "), "{screen}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        field(&text, "status").as_deref(),
        Some("To Do"),
        "the card did not move:\n{}",
        common::git_diff(backlog.path())
    );
    let (_, lines) = common::diff_lines(&common::git_diff(backlog.path()));
    assert_eq!(lines, vec!["+", "+Added by the editor."]);
}

#[test]
fn no_color_still_marks_the_focused_card() {
    let backlog = common::generate("backlogmd", 30);
    let tmux = Run::new("no-color", backlog.path())
        .env("NO_COLOR", "1")
        .start();
    let screen = tmux.wait_for_board();
    let id = focused_id(&screen).expect("a focused card");
    // Every line of the focused card starts with the marker: its id line and its title.
    let marked: Vec<&str> = screen.lines().filter(|l| l.contains('▌')).collect();
    assert!(marked.len() >= 2, "{screen}");
    assert!(marked[0].contains(&id));

    let ansi = tmux.screen_with(true);
    let colours = sgr_colours(&ansi);
    assert!(
        colours.is_empty(),
        "NO_COLOR: no colour escapes, found {colours:?}"
    );
    // The controls: with colours on, the same board does use them.
    drop(tmux);
    let tmux = Run::new("colour", backlog.path()).start();
    tmux.wait_for_board();
    assert!(!sgr_colours(&tmux.screen_with(true)).is_empty());
}

/// The SGR escape sequences (`ESC [ … m`) that set a colour (not the default 39/49).
fn sgr_colours(ansi: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = ansi;
    while let Some(at) = rest.find("\x1b[") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':')) else {
            break;
        };
        if rest[end..].starts_with('m') {
            let params = &rest[..end];
            let colour = params.split([';', ':']).any(|p| {
                matches!(
                    p.parse::<u32>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            });
            if colour {
                out.push(params.to_string());
            }
        }
        rest = &rest[end..];
    }
    out
}
