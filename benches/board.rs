//! Board speed on a large backlog (issue: first frame ≤ 150 ms from an up-to-date index, a
//! search keystroke ≤ 16 ms, a move ≤ 10 ms from key to redraw).
//!
//! Run with `TACK_BENCH_BACKLOG=DIR cargo bench --bench board`, DIR holding a generated
//! backlog (`python3 ../shared/corpus/gen_backlog.py --format backlogmd --count 100000 --out DIR`);
//! `benches/board.sh` does all of it and measures memory too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use tack::index::Index;
use tack::layout::Backlog;
use tack::tui::app::{App, Effect};
use tack::tui::keymap::Keymap;
use tack::tui::theme::Theme;
use tack::tui::worker::{Msg, Worker, PREVIEW_PER_COLUMN};
use tack::tui::{board_info, view};

fn backlog_dir() -> PathBuf {
    std::env::var_os("TACK_BENCH_BACKLOG")
        .map(PathBuf::from)
        .expect("set TACK_BENCH_BACKLOG to a generated backlog (see benches/board.sh)")
}

fn index_path() -> PathBuf {
    std::env::temp_dir().join("tack-bench-board.sqlite")
}

/// Open the backlog and bring its index up to date once, outside the measurements.
fn prepared() -> Backlog {
    let backlog = Backlog::discover(&backlog_dir()).expect("backlog");
    let mut index = Index::open_at(&backlog, &index_path()).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    backlog
}

fn draw(app: &App, terminal: &mut Terminal<TestBackend>, theme: &Theme) {
    terminal
        .draw(|f| view::render(app, theme, f))
        .expect("draw");
}

/// Index open → preview query (first cards of each column, counts) → app state → one drawn
/// frame, as `tack` does at start before the full list arrives.
fn first_frame(backlog: &Backlog, theme: &Theme) -> App {
    let index = Index::open_at(backlog, &index_path()).expect("index");
    let mut app = App::new(board_info(backlog), Keymap::default());
    app.resize(200, 50);
    let (cards, counts) = index.preview(PREVIEW_PER_COLUMN).expect("preview");
    app.msg(Msg::Preview { cards, counts });
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    draw(&app, &mut terminal, theme);
    app
}

/// The full list that follows the preview: every card queried, bucketed and drawn.
fn full_load(backlog: &Backlog, theme: &Theme) -> App {
    let index = Index::open_at(backlog, &index_path()).expect("index");
    let worker = Worker::new(backlog.clone(), index);
    let mut app = App::new(board_info(backlog), Keymap::default());
    app.resize(200, 50);
    app.msg(worker.snapshot().expect("snapshot"));
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    draw(&app, &mut terminal, theme);
    app
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn esc() -> KeyEvent {
    KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
}

/// Clear any search, open a new one and type `typed`; how long the last key and its frame take.
fn timed_search(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    theme: &Theme,
    typed: &str,
) -> Duration {
    app.key(esc());
    app.key(esc());
    app.key(key('/'));
    let (last, before) = typed
        .chars()
        .collect::<Vec<_>>()
        .split_last()
        .map(|(l, b)| (*l, b.to_vec()))
        .expect("a key");
    for c in before {
        app.key(key(c));
    }
    let started = Instant::now();
    app.key(key(last));
    draw(app, terminal, theme);
    started.elapsed()
}

fn benches(c: &mut Criterion) {
    let backlog = prepared();
    let theme = Theme::dark();
    let mut group = c.benchmark_group("board");
    group.sample_size(20);

    group.bench_function("first_frame", |b| {
        b.iter(|| black_box(first_frame(&backlog, &theme)))
    });
    group.bench_function("full_load", |b| {
        b.iter(|| black_box(full_load(&backlog, &theme)))
    });

    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut app = full_load(&backlog, &theme);
    println!("cards on the board: {}", app.cards.len());

    // A keystroke that starts a search scans every card; the next ones narrow what matched.
    // Only the last key of each sequence and its frame are timed.
    for (name, typed) in [
        ("search_first_keystroke", "w"),
        ("search_next_keystroke", "wat"),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| timed_search(&mut app, &mut terminal, &theme, typed))
                    .sum()
            })
        });
    }
    app.key(esc());
    app.key(esc());

    // A move: key → edit request → the writer's fsync'd rename → index row → state → frame.
    let index = Index::open_at(&backlog, &index_path()).expect("index");
    let mut worker = Worker::new(backlog.clone(), index);
    let mut direction = 'L';
    group.bench_function("move_card", |b| {
        b.iter(|| {
            let effects = app.key(key(direction));
            for effect in effects {
                if let Effect::Request(request) = effect {
                    for msg in worker.handle(request) {
                        app.msg(msg);
                    }
                }
            }
            draw(&app, &mut terminal, &theme);
            direction = if direction == 'L' { 'H' } else { 'L' };
        })
    });
    group.finish();
}

criterion_group!(board, benches);
criterion_main!(board);
