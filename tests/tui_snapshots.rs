//! Whole screens of the board on ratatui's TestBackend, as insta snapshots: the demo backlog
//! at 40×12 (one column at a time), 100×30 and 200×50, and the detail, help, problems and
//! search views. A change to any screen shows up as a snapshot diff to review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use common::board::{demo_copy, Board};
use tack::tui::theme::Theme;

fn screen(width: u16, height: u16, keys: &str) -> String {
    let dir = demo_copy();
    let mut board = Board::open(dir.path(), width, height);
    board.press(keys);
    board.screen(&Theme::dark())
}

#[test]
fn board_40x12_shows_one_column_at_a_time() {
    insta::assert_snapshot!(screen(40, 12, ""));
}

#[test]
fn board_40x12_after_moving_right() {
    insta::assert_snapshot!(screen(40, 12, "l"));
}

#[test]
fn board_100x30() {
    insta::assert_snapshot!(screen(100, 30, ""));
}

#[test]
fn board_200x50() {
    insta::assert_snapshot!(screen(200, 50, "lj"));
}

#[test]
fn detail_pane_100x30() {
    // TASK-5: bold text, a numbered list, task-list checkboxes.
    insta::assert_snapshot!(screen(100, 30, "lj<enter>"));
}

#[test]
fn help_overlay_100x30() {
    insta::assert_snapshot!(screen(100, 30, "?"));
}

#[test]
fn problems_view_100x30() {
    insta::assert_snapshot!(screen(100, 30, "!"));
}

#[test]
fn live_search_100x30() {
    insta::assert_snapshot!(screen(100, 30, "/cache"));
}

#[test]
fn archive_confirmation_100x30() {
    insta::assert_snapshot!(screen(100, 30, "x"));
}

/// Every layer of the stack at an editor split's 80×24 and the smallest supported 40×12: the
/// board, the detail pane (scrolled to its end), the help (scrolled to its last line, where
/// the glyph legend is), the problems view, a title prompt wider than the screen, and the
/// archive question (its `(y/n)` must show at 40 columns).
#[test]
fn every_layer_at_80x24_and_40x12() {
    let layers = [
        ("board", ""),
        ("detail_end", "lj<enter>G"),
        ("help_end", "?G"),
        ("problems", "!"),
        (
            "prompt_scrolled",
            "e a title long enough to scroll past the right edge",
        ),
        ("archive_question", "x"),
    ];
    for (width, height) in [(80, 24), (40, 12)] {
        for (name, keys) in layers {
            insta::assert_snapshot!(
                format!("{name}_{width}x{height}"),
                screen(width, height, keys)
            );
        }
    }
}

#[test]
fn compact_and_list_views_at_120x35() {
    insta::assert_snapshot!("compact_120x35", screen(120, 35, "z"));
    insta::assert_snapshot!("list_120x35", screen(120, 35, "vo"));
}
