//! The board's `f` filter: the filter language on the demo backlog, as keys typed into the
//! real app with the real worker — OR within a key, AND across keys, negation, `none`,
//! `status:`, an unknown value, a new card the filter hides, and `Esc`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use common::board::{demo_copy, Board};
use tack::tui::cards::BoardCard;

/// The cards on screen, every column.
fn shown(b: &Board) -> Vec<BoardCard> {
    b.app
        .cards
        .visible
        .iter()
        .flatten()
        .filter_map(|s| b.app.cards.card(*s))
        .cloned()
        .collect()
}

/// Every card the board holds, shown or not (slot by slot until all are found).
fn all(b: &Board) -> Vec<BoardCard> {
    let mut out = Vec::new();
    let mut slot = 0;
    while out.len() < b.app.cards.len() {
        out.extend(b.app.cards.card(slot).cloned());
        slot += 1;
    }
    out
}

fn ids(cards: &[BoardCard]) -> Vec<String> {
    let mut ids: Vec<String> = cards.iter().map(|c| c.id.to_string()).collect();
    ids.sort();
    ids
}

/// The cards on screen equal the cards of the whole board that `keep` selects, and there
/// are some (a filter that selects nothing would prove little).
fn assert_shown(b: &Board, keep: impl Fn(&BoardCard) -> bool) {
    let expected: Vec<BoardCard> = all(b).into_iter().filter(|c| keep(c)).collect();
    assert!(!expected.is_empty(), "the test's selection is empty");
    assert!(
        expected.len() < all(b).len(),
        "the test's selection is everything"
    );
    assert_eq!(ids(&shown(b)), ids(&expected));
}

fn has_label(card: &BoardCard, label: &str) -> bool {
    card.labels.iter().any(|l| &**l == label)
}

fn filter(b: &mut Board, text: &str) {
    b.press("f<c-u>").type_text(text).press("<enter>");
}

#[test]
fn values_of_one_key_are_alternatives() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "label:ui,bug");
    assert_shown(&b, |c| has_label(c, "ui") || has_label(c, "bug"));
    assert!(b.app.message.is_none(), "{:?}", b.app.message);
}

#[test]
fn keys_must_all_hold_and_case_does_not_matter() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "label:UI,bug priority:high,medium");
    assert_shown(&b, |c| {
        (has_label(c, "ui") || has_label(c, "bug"))
            && matches!(c.priority.as_deref(), Some("high" | "medium"))
    });
}

#[test]
fn a_minus_negates_a_term() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "-label:ui,bug -priority:low");
    assert_shown(&b, |c| {
        !has_label(c, "ui") && !has_label(c, "bug") && c.priority.as_deref() != Some("low")
    });
}

#[test]
fn none_is_the_empty_field_and_can_be_negated() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "assignee:none");
    assert_shown(&b, |c| c.assignees.is_empty());
    filter(&mut b, "-assignee:none label:security");
    assert_shown(&b, |c| !c.assignees.is_empty() && has_label(c, "security"));
    filter(&mut b, "a:none,@omar");
    assert_shown(&b, |c| {
        c.assignees.is_empty() || c.assignees.iter().any(|a| &**a == "@omar")
    });
}

#[test]
fn status_matches_the_column_without_regard_to_case_or_spaces() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "status:inprogress,review");
    assert_shown(&b, |c| matches!(&*c.status, "In Progress" | "Review"));
    assert!(
        b.column_ids(0).is_empty(),
        "To Do is empty under the filter"
    );
    assert_eq!(
        b.app
            .focused_card()
            .map(|c| c.status.to_string())
            .as_deref(),
        Some("In Progress"),
        "the focus goes to a column with cards"
    );
    filter(&mut b, "s:\"To Do\" label:auth");
    assert_shown(&b, |c| &*c.status == "To Do" && has_label(c, "auth"));
}

#[test]
fn the_prompt_reopens_with_the_filter_in_force() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "l:ui,bug  -P:low");
    b.press("f");
    let prompt = b.app.prompt().expect("the filter prompt");
    assert_eq!(prompt.text(), "label:ui,bug -priority:low");
    assert!(
        prompt.label().contains("status:") && prompt.label().contains("label:"),
        "the prompt lists the keys: {}",
        prompt.label()
    );
}

#[test]
fn an_unknown_value_names_the_values_in_use_and_keeps_the_filter() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "label:bug");
    let before = ids(&shown(&b));
    filter(&mut b, "label:uii");
    b.assert_message_contains("no card has the label `uii`; labels in use: a11y, auth,");
    b.assert_message_contains(", ui");
    assert_eq!(ids(&shown(&b)), before, "the filter in force stays");
    filter(&mut b, "status:doing");
    b.assert_message_contains("statuses in use: Done, In Progress, Review, To Do");
    filter(&mut b, "colour:red");
    b.assert_message_contains("unknown filter key `colour`; the keys are label, assignee");
}

#[test]
fn a_new_card_the_filter_hides_says_so() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    filter(&mut b, "label:ui,security");
    let focused = b.focused_id();
    assert_eq!(b.app.focus_col, 0, "To Do has security cards");
    b.press("n")
        .type_text("Write the release notes")
        .press("<enter>");
    b.assert_message_contains("created TASK-30 in To Do (hidden by the filter label:ui,security)");
    assert!(
        all(&b).iter().any(|c| &*c.id == "TASK-30"),
        "the card was created"
    );
    assert!(!ids(&shown(&b)).contains(&"TASK-30".to_string()));
    assert_eq!(b.focused_id(), focused, "the focus stays where it was");

    // Once the filter is cleared, a later change does not pull the focus to the new card.
    b.press("<esc>");
    b.press("/").type_text("Trello").press("<enter>");
    let trello = b.focused_id();
    b.press("<esc>").press("p");
    assert_eq!(b.focused_id(), trello);
}

#[test]
fn a_new_card_the_search_hides_says_so_and_a_shown_one_says_nothing_more() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("/").type_text("magic").press("<enter>");
    b.press("n").type_text("Release notes").press("<enter>");
    b.assert_message_contains("(hidden by the search \"magic\")");
    b.press("<esc>");
    filter(&mut b, "status:todo");
    b.press("n").type_text("Plan the sprint").press("<enter>");
    assert_eq!(b.app.message.as_deref(), Some("created TASK-31 in To Do"));
    assert_eq!(b.focused_id().as_deref(), Some("TASK-31"));
}

#[test]
fn escape_clears_the_filter() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let total = b.app.cards.visible_len();
    filter(&mut b, "label:ui,bug -status:done");
    assert!(b.app.cards.visible_len() < total);
    b.press("<esc>");
    assert_eq!(b.app.cards.visible_len(), total);
    assert!(b.app.cards.filter.is_empty());
    b.assert_message_contains("search and filter cleared");
    b.press("f");
    assert_eq!(b.app.prompt().map(|p| p.text()), Some(""));
}
