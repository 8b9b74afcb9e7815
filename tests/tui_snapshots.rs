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
