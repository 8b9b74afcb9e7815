//! Board state tests: a backlog on disk, a sequence of keys, the expected state — focus,
//! columns, messages and, for edits, the files themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::fs;

use common::board::{demo_copy, Board};
use tack::tui::keymap::Layer;
use tack::tui::worker::Msg;

fn read(path: &std::path::Path) -> String {
    fs::read_to_string(path).expect("card file")
}

#[test]
fn focus_starts_on_the_first_card_of_the_first_column_and_moves_with_hjkl() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let first = b.column_ids(0)[0].clone();
    assert_eq!(b.focused_id(), Some(first));
    b.press("jj");
    assert_eq!(b.focused_id(), Some(b.column_ids(0)[2].clone()));
    b.press("l");
    assert_eq!(b.app.focus_col, 1);
    assert_eq!(b.focused_id(), Some(b.column_ids(1)[0].clone()));
    b.press("G");
    assert_eq!(b.focused_id(), b.column_ids(1).last().cloned());
    b.press("g");
    assert_eq!(b.focused_id(), Some(b.column_ids(1)[0].clone()));
    b.press("h");
    assert_eq!(
        b.focused_id(),
        Some(b.column_ids(0)[2].clone()),
        "each column keeps its own focused row"
    );
    b.press("hhhh");
    assert_eq!(b.app.focus_col, 0, "focus stops at the first column");
}

#[test]
fn shift_l_moves_the_card_in_the_file_and_the_focus_follows_it() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let id = b.focused_id().expect("focus");
    let todo_before = b.column_ids(0).len();
    b.press("L");
    let text = read(&path);
    assert!(text.contains("\nstatus: In Progress\n"), "{text}");
    assert!(text.contains("\nupdated_date: '"), "{text}");
    assert_eq!(b.column_ids(0).len(), todo_before - 1);
    assert!(b.column_ids(1).contains(&id));
    assert_eq!(b.focused_id(), Some(id.clone()));
    assert_eq!(b.app.focus_col, 1);
    assert_eq!(
        b.app.message.as_deref(),
        Some(format!("moved {id} To Do → In Progress").as_str())
    );
    b.press("<s-left>");
    assert!(
        read(&path).contains("\nstatus: To Do\n"),
        "Shift-← is the alternate binding"
    );
}

#[test]
fn moving_past_the_first_column_changes_nothing_and_says_why() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let before = read(&path);
    b.press("H");
    assert_eq!(read(&path), before);
    b.assert_message_contains("first column");
}

#[test]
fn undo_and_redo_are_ordinary_edits_of_the_file() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("LL");
    assert!(read(&path).contains("\nstatus: Review\n"));
    b.press("u");
    assert!(read(&path).contains("\nstatus: In Progress\n"));
    b.press("u");
    assert!(read(&path).contains("\nstatus: To Do\n"));
    b.press("u");
    assert_eq!(b.app.message.as_deref(), Some("nothing to undo"));
    b.press("<c-r>");
    assert!(read(&path).contains("\nstatus: In Progress\n"));
    assert!(b
        .app
        .message
        .as_deref()
        .is_some_and(|m| m.starts_with("redo: moved")));
}

#[test]
fn search_filters_live_and_escape_clears_it() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let total = b.app.cards.visible_len();
    b.press("/").type_text("magic");
    assert_eq!(b.app.cards.visible_len(), 1);
    assert_eq!(
        b.focused_id().as_deref(),
        Some("TASK-1"),
        "focus goes to the only match"
    );
    b.press("<bs><bs><bs><bs><bs>").type_text("zzzzqx");
    assert_eq!(b.app.cards.visible_len(), 0);
    b.press("<esc>");
    assert_eq!(b.app.cards.visible_len(), total);
    assert!(b.app.prompt().is_none());
}

#[test]
fn search_matches_labels_and_assignees() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("/").type_text("@omar");
    let shown: Vec<String> = (0..b.app.cards.columns.len())
        .flat_map(|c| b.column_ids(c))
        .collect();
    assert!(!shown.is_empty());
    for col in 0..b.app.cards.columns.len() {
        for slot in &b.app.cards.visible[col] {
            let card = b.app.cards.card(*slot).expect("card");
            assert!(
                card.assignees.iter().any(|a| &**a == "@omar"),
                "{} does not belong to omar",
                card.id
            );
        }
    }
}

#[test]
fn filter_by_label_and_priority_then_escape_clears() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("f")
        .type_text("label:bug priority:high")
        .press("<enter>");
    let shown: Vec<_> = b
        .app
        .cards
        .visible
        .iter()
        .flatten()
        .filter_map(|s| b.app.cards.card(*s))
        .collect();
    assert!(!shown.is_empty());
    assert!(shown
        .iter()
        .all(|c| c.labels.iter().any(|l| &**l == "bug") && c.priority.as_deref() == Some("high")));
    b.press("<esc>");
    assert_eq!(b.app.cards.visible_len(), b.app.cards.len());
    b.press("f").type_text("colour:red").press("<enter>");
    b.assert_message_contains("unknown filter");
}

#[test]
fn priority_keys_walk_the_layout_scale() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("/").type_text("Export reports").press("<enter>");
    let path = b.focused_path();
    assert!(read(&path).contains("\npriority: low\n"));
    b.press("p");
    assert!(read(&path).contains("\npriority: medium\n"));
    b.press("pp");
    assert!(read(&path).contains("\npriority: high\n"));
    b.assert_message_contains("already at priority high");
    b.press("P");
    assert!(read(&path).contains("\npriority: medium\n"));
}

#[test]
fn reorder_changes_the_ordinal_and_the_column_order() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let order = b.column_ids(0);
    b.press("j");
    let second = order[1].clone();
    b.press("K");
    let new_order = b.column_ids(0);
    assert_eq!(new_order[0], second, "the card moved above its neighbour");
    assert_eq!(new_order[1], order[0]);
    assert_eq!(b.focused_id(), Some(second));
    let text = read(&b.focused_path());
    let ordinal: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ordinal: "))
        .and_then(|v| v.parse().ok())
        .expect("an ordinal line");
    assert!(
        ordinal < 2000.0,
        "ordinal {ordinal} sorts before the old first card"
    );
}

#[test]
fn kano_cards_cannot_be_reordered_and_the_status_line_says_so() {
    let dir = common::generate("kabsd", 20);
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let before = read(&path);
    b.press("j").press("K");
    b.assert_message_contains("no order field");
    assert_eq!(read(&path), before);
}

#[test]
fn editing_the_title_assignee_and_labels_writes_the_file() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("e<c-u>")
        .type_text("A better title")
        .press("<enter>");
    assert!(read(&path).contains("\ntitle: A better title\n"));
    assert_eq!(
        b.app.focused_card().map(|c| &*c.title),
        Some("A better title")
    );
    b.press("a<c-u>").type_text("@zoe").press("<enter>");
    assert!(
        read(&path).contains("assignee:\n  - '@zoe'\n"),
        "{}",
        read(&path)
    );
    b.press("t<c-u>").type_text("urgent, api").press("<enter>");
    let card = b.app.focused_card().expect("card");
    assert_eq!(
        card.labels.iter().map(|l| &**l).collect::<Vec<_>>(),
        ["urgent", "api"]
    );
}

#[test]
fn new_card_lands_in_the_focused_column_and_takes_the_focus() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("ll")
        .press("n")
        .type_text("Write the release notes")
        .press("<enter>");
    let card = b.app.focused_card().expect("new card focused").clone();
    assert_eq!(&*card.title, "Write the release notes");
    assert_eq!(&*card.status, "Review");
    assert_eq!(&*card.id, "TASK-30");
    let file = dir.path().join(&*card.path);
    assert!(
        file.ends_with("backlog/tasks/task-30 - Write-the-release-notes.md"),
        "{}",
        file.display()
    );
    assert!(read(&file).contains("\nstatus: Review\n"));
}

#[test]
fn archive_asks_first_and_moves_the_file_as_backlog_md_does() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let name = path.file_name().expect("name").to_owned();
    let next = b.column_ids(0)[1].clone();
    b.press("x").press("n");
    assert!(path.exists(), "n cancels");
    b.press("x").press("y");
    assert!(!path.exists());
    assert!(dir
        .path()
        .join("backlog/archive/tasks")
        .join(&name)
        .exists());
    assert_eq!(b.focused_id(), Some(next), "focus moves to the neighbour");
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten_and_the_card_reloads() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let changed = read(&path).replace(
        "title: Rate-limit the login endpoint",
        "title: Changed elsewhere",
    );
    fs::write(&path, &changed).expect("write");
    b.press("L");
    assert_eq!(
        read(&path),
        changed,
        "the other change is kept, byte for byte"
    );
    b.assert_message_contains("changed on disk");
    assert_eq!(
        b.app.focused_card().map(|c| &*c.title),
        Some("Changed elsewhere")
    );
}

#[test]
fn a_card_deleted_under_the_focus_hands_it_to_its_neighbour() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("j");
    let focused = b.app.focused_card().expect("card").path.clone();
    let below = b.column_ids(0)[2].clone();
    b.deliver(vec![Msg::Cards {
        upserts: vec![],
        removed: vec![focused.to_string()],
        problems: None,
        own: false,
    }]);
    assert_eq!(b.focused_id(), Some(below));
}

#[test]
fn detail_pane_loads_the_body_and_follows_edits() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("<enter>");
    assert_eq!(b.app.top_layer(), Layer::Detail);
    let detail = b.app.detail().expect("detail");
    assert!(
        detail.body.contains("Brute-force attempts"),
        "{}",
        detail.body
    );
    b.press("L");
    let detail = b.app.detail().expect("detail");
    let status = detail.item.as_ref().map(|i| i.card.status.clone());
    assert_eq!(
        status.as_deref(),
        Some("In Progress"),
        "the pane shows the moved card"
    );
    b.press("<esc>");
    assert_eq!(b.app.top_layer(), Layer::Board);
    assert!(b.app.detail().is_none());
}

#[test]
fn problems_view_lists_unreadable_files_with_their_line() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    assert_eq!(b.app.problems.len(), 1);
    let problem = &b.app.problems[0];
    assert!(problem
        .path
        .ends_with("task-29 - Translate-the-settings-page.md"));
    assert!(problem.line.is_some());
    b.press("!");
    assert_eq!(b.app.top_layer(), Layer::Problems);
    b.press("q");
    assert!(b.quit);
}

#[test]
fn e_on_a_card_asks_for_the_editor_with_its_path() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.app.focused_card().expect("card").path.clone();
    b.press("E");
    assert_eq!(b.editor_requests, vec![path.to_string()]);
}

#[test]
fn products_switch_with_tab_on_a_multi_product_kano_backlog() {
    let dir = common::kano_fixture();
    let mut b = Board::open(dir.path(), 160, 40);
    assert!(b.app.info.products.len() >= 2, "{:?}", b.app.info.products);
    let all = b.app.cards.visible_len();
    b.press("<tab>");
    let product = b.app.cards.product.clone().expect("a product chosen");
    let shown: Vec<_> = b
        .app
        .cards
        .visible
        .iter()
        .flatten()
        .filter_map(|s| b.app.cards.card(*s))
        .collect();
    assert!(shown.len() < all);
    assert!(shown
        .iter()
        .all(|c| c.product.as_deref() == Some(product.as_str())));
    assert!(
        b.app.cards.columns.iter().any(|c| c == "New"),
        "legacy states get their own column"
    );
}

#[test]
fn kano_owner_is_set_cleared_to_null_and_restored_by_undo() {
    let dir = common::generate("kabsd", 20);
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("a<c-u>").type_text("zoe").press("<enter>");
    assert!(read(&path).contains("\nowner: zoe\n"), "{}", read(&path));
    b.press("a<c-u><enter>");
    assert!(read(&path).contains("\nowner: null\n"), "{}", read(&path));
    assert_eq!(b.app.focused_card().and_then(|c| c.assignee.clone()), None);
    b.press("u");
    assert!(read(&path).contains("\nowner: zoe\n"), "{}", read(&path));
}

/// Write `text` over the card at `path` as an editor would, and tell the board (as the
/// watcher would after re-reading it).
fn external_edit(b: &mut Board, path: &std::path::Path, text: &str) {
    fs::write(path, text).expect("write");
    let rel = path
        .strip_prefix(&b.root)
        .expect("inside")
        .to_string_lossy()
        .into_owned();
    let msgs = b
        .worker
        .handle(tack::tui::worker::Request::Refresh { path: rel });
    b.deliver(msgs);
}

#[test]
fn the_assignee_prompt_shows_every_assignee_and_splits_what_is_typed_on_commas() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("a<c-u>").type_text("@zoe, yan").press("<enter>");
    assert!(
        read(&path).contains("assignee:\n  - '@zoe'\n  - yan\n"),
        "{}",
        read(&path)
    );
    b.press("a");
    assert_eq!(
        b.app.prompt().map(|p| p.text()),
        Some("@zoe, yan"),
        "both assignees are in the prompt"
    );
    b.type_text(", kim").press("<enter>");
    assert!(
        read(&path).contains("assignee:\n  - '@zoe'\n  - yan\n  - kim\n"),
        "saving the prompt keeps the others: {}",
        read(&path)
    );
}

#[test]
fn a_prompt_never_saves_over_a_change_made_on_disk_while_it_was_open() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    // The watcher told the board: the prompt knows its version is stale.
    b.press("e<c-u>").type_text("Mine");
    let theirs = read(&path).replacen("\ntitle: ", "\ntitle: Theirs ", 1);
    external_edit(&mut b, &path, &theirs);
    b.press("<enter>");
    assert_eq!(read(&path), theirs, "the other edit survives");
    b.assert_message_contains("changed on disk");
    // The change has not reached the board yet: the pinned version still refuses it.
    b.press("e<c-u>").type_text("Mine again");
    let theirs_again = read(&path).replacen("\ntitle: ", "\ntitle: Again ", 1);
    fs::write(&path, &theirs_again).expect("write");
    b.press("<enter>");
    assert_eq!(read(&path), theirs_again, "the other edit survives");
    b.assert_message_contains("changed on disk");
}

#[test]
fn reorder_between_equal_ordinals_renumbers_the_column_as_backlog_md_does() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let order = b.column_ids(0);
    assert!(order.len() >= 3, "{order:?}");
    // Give the first two cards the same ordinal, as a merge or a hand edit can.
    b.press("g");
    let first = b.focused_path();
    b.press("j");
    let second = b.focused_path();
    for path in [&first, &second] {
        let text = read(path);
        let line = text
            .lines()
            .find(|l| l.starts_with("ordinal: "))
            .expect("an ordinal")
            .to_string();
        external_edit(&mut b, path, &text.replacen(&line, "ordinal: 500", 1));
    }
    let before = b.column_ids(0);
    b.press("g").press("jj").press("K");
    let after = b.column_ids(0);
    assert_eq!(
        after[1], before[2],
        "the third card is now second: {after:?}"
    );
    assert_eq!(after[2], before[1]);
    b.press("u");
    assert_eq!(b.column_ids(0), before, "one undo restores the order");
}

#[test]
fn lowering_a_priority_the_scale_cannot_place_goes_to_the_bottom_never_up() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let text = read(&path);
    let text = match text.lines().find(|l| l.starts_with("priority: ")) {
        Some(line) => text.replacen(line, "priority: critical", 1),
        None => text.replacen("\n---\n", "\npriority: critical\n---\n", 1),
    };
    external_edit(&mut b, &path, &text);
    assert_eq!(
        b.app
            .focused_card()
            .and_then(|c| c.priority.as_deref().map(str::to_string)),
        Some("critical".to_string()),
        "an unknown priority is kept and shown"
    );
    b.press("P");
    assert!(read(&path).contains("\npriority: low\n"), "{}", read(&path));
    b.press("P");
    b.assert_message_contains("already at priority low");
    b.press("p");
    assert!(read(&path).contains("\npriority: medium\n"));
}

#[test]
fn kano_new_card_asks_for_the_product_and_the_ready_gate_asks_before_moving() {
    let dir = common::kano_fixture();
    let mut b = Board::open(dir.path(), 160, 40);
    assert!(b.app.info.products.len() > 1);
    assert_eq!(
        b.app.cards.columns[0], "New",
        "kano's legacy New comes before Proposed"
    );
    assert_eq!(b.app.cards.columns[1], "Proposed");
    b.press("hhhhhhhhhl");
    b.press("n");
    assert_eq!(
        b.app.prompt().map(|p| p.label()),
        Some("new card in product: ")
    );
    b.press("<c-u>")
        .type_text("kano-commit-convention-skill")
        .press("<enter>")
        .type_text("Gate me")
        .press("<enter>");
    b.assert_message_contains("created KCC-TSK-");
    let path = b.focused_path();
    assert!(path
        .to_string_lossy()
        .contains("/kano-commit-convention-skill/items/task/"));
    b.press("L");
    b.assert_message_contains("moved");
    let status = |b: &Board| b.app.focused_card().map(|c| c.status.to_string());
    assert_eq!(
        status(&b).as_deref(),
        Some("Planned"),
        "{:?}",
        b.app.message
    );
    b.press("L");
    let question = b.app.confirm().unwrap_or_default().to_string();
    assert!(
        question.contains("Context, Goal, Approach, Acceptance Criteria"),
        "{question}"
    );
    b.press("n");
    assert_eq!(status(&b).as_deref(), Some("Planned"), "no means no");
    b.press("L").press("y");
    assert_eq!(status(&b).as_deref(), Some("Ready"));
    assert!(read(&path).contains("\nstate: Ready\n"));
}

#[test]
fn every_board_edit_of_one_card_undoes_to_the_original_bytes() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    let original = read(&path);
    b.press("L")
        .press("p")
        .press("e<c-u>")
        .type_text("Café — crème")
        .press("<enter>");
    b.press("a<c-u>").type_text("x, y").press("<enter>");
    b.press("t<c-u>").type_text("one").press("<enter>");
    b.press("P").press("H");
    assert_ne!(read(&path), original);
    for _ in 0..7 {
        b.press("u");
    }
    assert_eq!(read(&path), original);
    b.press("u");
    b.assert_message_contains("nothing to undo");
}

#[test]
fn keys_go_to_the_top_layer_only() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let first = b.focused_id();
    // A prompt over the board: `q` and `j` are letters, Ctrl-c still quits.
    b.press("/qj");
    assert_eq!(b.app.prompt().map(|p| p.text()), Some("qj"));
    assert!(!b.quit);
    b.press("<esc>");
    assert_eq!(b.app.top_layer(), Layer::Board);
    assert_eq!(
        b.focused_id(),
        first,
        "the prompt's j never moved the focus"
    );
    // Help over the detail pane: j scrolls the help, Esc closes the help only.
    b.press("<enter>?j");
    assert_eq!(b.app.top_layer(), Layer::Help);
    b.press("<esc>");
    assert_eq!(b.app.top_layer(), Layer::Detail);
    // A question takes any other key as no; q quits from every layer but a prompt.
    b.press("<esc>x");
    assert_eq!(b.app.top_layer(), Layer::Confirm);
    b.press("j");
    assert_eq!(b.app.top_layer(), Layer::Board);
    b.assert_message_contains("cancelled");
    for layer_keys in ["?", "!", "<enter>", "x"] {
        let mut b = Board::open(dir.path(), 120, 40);
        b.press(layer_keys).press("q");
        assert!(b.quit, "q quits from {layer_keys}");
    }
    let mut b = Board::open(dir.path(), 120, 40);
    b.press("e<c-c>");
    assert!(b.quit, "Ctrl-c quits from a prompt");
}

#[test]
fn the_prompt_is_a_line_editor() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("e<c-u>")
        .type_text("world")
        .press("<home>")
        .type_text("hello ")
        .press("<end><left><left><bs>")
        .press("<c-a><c-k>")
        .type_text("Bright new title")
        .press("<c-w>")
        .type_text("name")
        .press("<enter>");
    assert!(
        read(&path).contains("\ntitle: Bright new name\n"),
        "{}",
        read(&path)
    );
}

#[test]
fn help_and_detail_scroll_stop_at_their_last_line() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 80, 24);
    b.press("?G");
    let max = b.app.help_max_scroll();
    assert!(max > 0, "at 80×24 the help does not fit: it scrolls");
    b.press("jjjj");
    assert!(
        matches!(b.app.layers.last(), Some(tack::tui::app::Pane::Help { scroll }) if *scroll == max)
    );
    b.press("<esc>lj<enter>");
    b.press("GGjjj");
    let detail = b.app.detail().expect("detail");
    assert_eq!(
        detail.scroll,
        b.app.detail_max_scroll(),
        "never past the end"
    );
}

#[test]
fn shift_tab_cycles_products_backwards_and_ctrl_z_asks_to_suspend() {
    let dir = common::kano_fixture();
    let mut b = Board::open(dir.path(), 160, 40);
    let products = b.app.info.products.clone();
    b.press("<s-tab>");
    assert_eq!(
        b.app.cards.product.as_ref(),
        products.last(),
        "all → the last product"
    );
    b.press("<s-tab>");
    assert_eq!(
        b.app.cards.product.as_ref(),
        products.get(products.len() - 2)
    );
    b.press("<tab><tab>");
    assert_eq!(b.app.cards.product, None, "back to all");
    b.press("<c-z>");
    assert_eq!(b.suspended, 1);
}

#[test]
fn a_card_that_breaks_under_the_detail_pane_says_what_it_is_now() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let path = b.focused_path();
    b.press("<enter>");
    let text = read(&path).replacen("\ntitle: ", "\ntitle: [unclosed ", 1);
    external_edit(&mut b, &path, &text);
    b.assert_message_contains("no longer reads as a card: line");
    let detail = b.app.detail().expect("the pane stays open");
    assert!(
        detail.gone.as_deref().is_some_and(|g| g.contains("line")),
        "{:?}",
        detail.gone
    );
    assert!(
        detail.item.is_some(),
        "it keeps showing the last version read"
    );
}

#[test]
fn problems_are_selectable_and_e_opens_the_file_at_its_line() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 80, 24);
    b.press("!");
    let problem = b.app.selected_problem().cloned().expect("the demo has one");
    b.press("E");
    let line = problem.line.expect("a line");
    assert_eq!(b.editor_requests, vec![format!("{}:{line}", problem.path)]);
}

#[test]
fn enter_on_a_problem_shows_the_lines_around_it() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 80, 24);
    b.press("!<enter>");
    let problem = b.app.selected_problem().cloned().expect("the demo has one");
    let Some(tack::tui::app::Pane::Problems {
        context: Some(context),
        ..
    }) = b.app.layers.last()
    else {
        panic!("no context shown: {:?}", b.app.layers.last());
    };
    let line = problem.line.expect("a line");
    let file = read(&b.root.join(&problem.path));
    let at = (line - context.first_line) as usize;
    assert_eq!(
        context.lines[at],
        file.lines().nth(line as usize - 1).expect("the line"),
        "the problem's own line is among them"
    );
    assert!(context.first_line < line && context.lines.len() > at + 1);
}

#[test]
fn the_list_view_sorts_by_any_column_and_edits_the_selected_row() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let total = b.app.cards.visible_len();
    b.press("v");
    let list = b.app.list.as_ref().expect("list view");
    assert_eq!(list.rows.len(), total, "every card on the board is a row");
    // o cycles status → priority → …: sort by id first (wrap around), then check the order.
    while b.app.list.as_ref().map(|l| l.sort) != Some(tack::tui::list::Column::Id) {
        b.press("o");
    }
    let ids: Vec<String> = {
        let list = b.app.list.as_ref().expect("list");
        list.rows
            .iter()
            .filter_map(|s| b.app.cards.card(*s))
            .map(|c| c.id.to_string())
            .collect()
    };
    let mut natural = ids.clone();
    natural.sort_by(|a, c| tack::index::query::natural_cmp(a, c));
    assert_eq!(ids, natural);
    b.press("O");
    let list = b.app.list.as_ref().expect("list");
    let first = b.app.cards.card(list.rows[0]).map(|c| c.id.to_string());
    assert_eq!(first, natural.last().cloned(), "reversed");
    b.press("g");
    // Editing keys act on the selected row, and the selection follows the card.
    b.press("j");
    let id = b.focused_id().expect("a card");
    let path = b.focused_path();
    b.press("L");
    assert!(read(&path).contains("\nstatus: "), "{}", read(&path));
    assert_eq!(
        b.focused_id(),
        Some(id.clone()),
        "still selected after its move"
    );
    b.press("v");
    assert!(b.app.list.is_none());
    assert_eq!(b.focused_id(), Some(id), "the board focuses the same card");
}

#[test]
fn compact_density_shows_many_more_cards_per_column() {
    let dir = common::generate("backlogmd", 90);
    let mut b = Board::open(dir.path(), 120, 35);
    let normal = b.app.cards_per_page();
    b.press("z");
    let compact = b.app.cards_per_page();
    assert!(normal <= 6 && compact >= 25, "{normal} → {compact}");
    b.press("G");
    let col = b.app.focus_col;
    let len = b.app.cards.visible[col].len();
    assert_eq!(
        b.app.scroll[col],
        len - compact,
        "scrolled to the end, no blank rows"
    );
}

#[test]
fn o_sorts_the_focused_column_and_the_board_remembers_it() {
    let dir = demo_copy();
    let mut b = Board::open(dir.path(), 120, 40);
    let scale = b.app.info.priorities.clone();
    b.press("o");
    b.assert_message_contains("To Do sorted by priority");
    let ranks: Vec<usize> = b.app.cards.visible[0]
        .iter()
        .filter_map(|s| b.app.cards.card(*s))
        .map(|c| {
            c.priority
                .as_deref()
                .and_then(|p| scale.iter().position(|x| x == p))
                .unwrap_or(scale.len())
        })
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "highest priority first");
    b.press("J");
    b.assert_message_contains("sorted by priority");
    let state = b.worker.state_file.clone().expect("a state file");
    let saved = tack::tui::state::load(Some(&state));
    assert_eq!(
        saved.get("To Do"),
        Some(&tack::tui::cards::ColumnSort::Priority),
        "remembered for the next run"
    );
    b.press("oooo");
    b.assert_message_contains("To Do sorted by board order");
    assert!(tack::tui::state::load(Some(&state)).is_empty());
}
