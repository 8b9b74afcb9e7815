//! The board's state and how keys and worker messages change it. Nothing here knows about the
//! terminal or the disk: a key yields [`Effect`]s (requests for the worker, quit, run the
//! editor) that the event loop carries out, which is what lets the tests drive it directly.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::cards::BoardCard;
use super::cards::{CardFilter, CardStore};
use std::time::{Duration, Instant};

use ratatui::text::{Line, Span, Text};

use super::cards::ColumnSort;
use super::keymap::{Action, Keymap, Layer};
use super::list::ListView;
use super::prompt::{Prompt, PromptKind};
use super::theme::Theme;
use super::worker::{Msg, Request};
use crate::item::{Card, Item, Problem};
use crate::layout::fields::{priority_scale, shift_priority, split_list, FieldEdit, ListEdit};
use crate::layout::{LayoutKind, NewCard};

/// `1 card`, `2 cards`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Rows a card takes on the board: id line, two title lines, labels line, gap.
pub const CARD_HEIGHT: u16 = 5;
/// The narrowest column worth drawing; fewer columns are shown on narrow screens.
pub const MIN_COLUMN_WIDTH: u16 = 28;

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Request),
    /// Suspend the board and run `$VISUAL`/`$EDITOR` on this root-relative path.
    Editor(String),
    /// The same, at a line of the file (a problem's line).
    EditorAt(String, Option<u32>),
    /// Suspend to the shell (Ctrl-z); the board comes back on `fg`.
    Suspend,
    Quit,
}

/// Static facts about the backlog the board shows.
#[derive(Debug, Clone)]
pub struct BoardInfo {
    pub root: String,
    pub layout: LayoutKind,
    pub statuses: Vec<String>,
    pub products: Vec<String>,
    pub priorities: Vec<String>,
}

/// A layer on the board's stack. Keys go to the top layer only, each through its own table
/// in the keymap; the board itself is the bottom, always there.
#[derive(Debug, Clone)]
pub enum Pane {
    Detail(Detail),
    /// The problems view: the selected entry, and the lines around its error once asked for
    /// (Enter).
    Problems {
        selected: usize,
        context: Option<Context>,
    },
    Help {
        scroll: u16,
    },
    Prompt(Prompt),
    /// A yes/no question: the request to send on yes.
    Confirm {
        request: Request,
        question: String,
    },
}

impl Pane {
    pub fn layer(&self) -> Layer {
        match self {
            Pane::Detail(_) => Layer::Detail,
            Pane::Problems { .. } => Layer::Problems,
            Pane::Help { .. } => Layer::Help,
            Pane::Prompt(_) => Layer::Prompt,
            Pane::Confirm { .. } => Layer::Confirm,
        }
    }
}

/// Lines of a file around a problem's line: the path, the first line's number, the lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub path: String,
    pub first_line: u32,
    pub lines: Vec<String>,
}

/// The open detail pane: the card, its body, and the body rendered once.
#[derive(Debug, Clone)]
pub struct Detail {
    pub path: String,
    pub item: Option<Box<Item>>,
    pub body: String,
    /// The fields and the body as drawn, rendered when the card arrives (not per frame).
    pub text: Text<'static>,
    pub scroll: u16,
    /// Set when the card stopped being a card while the pane was open: why.
    pub gone: Option<String>,
}

pub struct App {
    pub info: BoardInfo,
    pub cards: CardStore,
    pub problems: Vec<Problem>,
    pub keymap: Keymap,
    /// Focused column and, per column, the focused row and the first row drawn.
    pub focus_col: usize,
    pub rows: Vec<usize>,
    pub scroll: Vec<usize>,
    /// First column drawn when not all fit.
    pub col_scroll: usize,
    /// The layers over the board, bottom first.
    pub layers: Vec<Pane>,
    pub theme: Theme,
    /// One line per card instead of five (`z`).
    pub compact: bool,
    /// The list view (`v`), when it replaces the columns.
    pub list: Option<ListView>,
    pub message: Option<String>,
    /// The message is an error: it stays until the next key. Others expire on their own.
    pub message_error: bool,
    /// The message on screen and since when, to expire it.
    message_since: Option<(String, Instant)>,
    pub busy: Option<String>,
    pub spinner: usize,
    /// Terminal size, to page and to keep the focus in view.
    pub width: u16,
    pub height: u16,
    /// Focus this card once it appears (`tack PATH`, a new card).
    pub pending_focus: Option<String>,
    pub loaded: bool,
}

impl App {
    pub fn new(info: BoardInfo, keymap: Keymap) -> App {
        let cards = CardStore::new(info.statuses.clone(), Vec::new());
        let n = cards.columns.len();
        App {
            info,
            cards,
            problems: Vec::new(),
            keymap,
            focus_col: 0,
            rows: vec![0; n],
            scroll: vec![0; n],
            col_scroll: 0,
            layers: Vec::new(),
            theme: Theme::dark(),
            compact: false,
            list: None,
            message: None,
            message_error: false,
            message_since: None,
            busy: None,
            spinner: 0,
            width: 80,
            height: 24,
            pending_focus: None,
            loaded: false,
        }
    }

    // ---- queries used by the views -------------------------------------------------------

    /// The card the keys act on: the focused card of the board, or the list's selected row.
    pub fn focused_card(&self) -> Option<&BoardCard> {
        let slot = match &self.list {
            Some(list) => *list.rows.get(list.selected)?,
            None => *self.cards.visible.get(self.focus_col)?.get(self.row())?,
        };
        self.cards.card(slot)
    }

    /// Rows the list view shows at once (the screen less the title bar, status line, footer,
    /// the table's header and its border).
    pub fn list_page(&self) -> usize {
        self.height.saturating_sub(6).max(1) as usize
    }

    pub fn row(&self) -> usize {
        self.rows.get(self.focus_col).copied().unwrap_or(0)
    }

    /// How many columns fit side by side.
    pub fn columns_that_fit(&self) -> usize {
        ((self.width / MIN_COLUMN_WIDTH) as usize).clamp(1, self.cards.columns.len().max(1))
    }

    /// Rows a card takes in a column: five in the normal density (id line, two title lines,
    /// labels, gap), one in the compact one.
    pub fn card_height(&self) -> u16 {
        if self.compact {
            1
        } else {
            CARD_HEIGHT
        }
    }

    /// Cards a column shows at once: its inner height (the screen less the title bar, status
    /// line, footer and the column's two border rows), the last card without its gap. The
    /// board draws exactly this many, so scrolling never leaves blank rows.
    pub fn cards_per_page(&self) -> usize {
        let inner = self.height.saturating_sub(5);
        let height = self.card_height();
        // The last card needs no gap row under it.
        let gap = u16::from(!self.compact);
        ((inner + gap) / height).max(1) as usize
    }

    pub fn top_layer(&self) -> Layer {
        self.layers.last().map_or(Layer::Board, Pane::layer)
    }

    /// The open prompt, if the top layer is one.
    pub fn prompt(&self) -> Option<&Prompt> {
        match self.layers.last() {
            Some(Pane::Prompt(prompt)) => Some(prompt),
            _ => None,
        }
    }

    fn prompt_mut(&mut self) -> Option<&mut Prompt> {
        match self.layers.last_mut() {
            Some(Pane::Prompt(prompt)) => Some(prompt),
            _ => None,
        }
    }

    /// The question being asked, if the top layer is one.
    pub fn confirm(&self) -> Option<&str> {
        match self.layers.last() {
            Some(Pane::Confirm { question, .. }) => Some(question),
            _ => None,
        }
    }

    /// The open detail pane (it may have a prompt or the help over it).
    pub fn detail(&self) -> Option<&Detail> {
        self.layers.iter().rev().find_map(|pane| match pane {
            Pane::Detail(detail) => Some(detail),
            _ => None,
        })
    }

    fn detail_mut(&mut self) -> Option<&mut Detail> {
        self.layers.iter_mut().rev().find_map(|pane| match pane {
            Pane::Detail(detail) => Some(detail),
            _ => None,
        })
    }

    /// The full-screen layer to draw in place of the board (the topmost detail or problems
    /// view); help, prompts and questions are drawn over it.
    pub fn main_pane(&self) -> Option<&Pane> {
        self.layers
            .iter()
            .rev()
            .find(|p| matches!(p, Pane::Detail(_) | Pane::Problems { .. }))
    }

    fn push(&mut self, pane: Pane) {
        self.layers.push(pane);
    }

    fn open_prompt(&mut self, prompt: Prompt) {
        self.push(Pane::Prompt(prompt));
    }

    // ---- input ---------------------------------------------------------------------------

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.keep_focus_visible();
    }

    /// Handle one key: the top layer's table says what it means; a prompt types the keys
    /// its table does not bind, and a question takes any other key as no.
    pub fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if std::mem::take(&mut self.message_error) {
            self.message = None;
        }
        let layer = self.top_layer();
        match (self.keymap.action(layer, key), layer) {
            (Some(action), _) => self.action(layer, action),
            (None, Layer::Prompt) => {
                if let KeyCode::Char(c) = key.code {
                    if !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    {
                        if let Some(prompt) = self.prompt_mut() {
                            prompt.insert(c);
                        }
                        self.prompt_text_changed();
                    }
                }
                vec![]
            }
            (None, Layer::Confirm) => self.answer(false),
            (None, _) => vec![],
        }
    }

    fn action(&mut self, layer: Layer, action: Action) -> Vec<Effect> {
        match layer {
            Layer::Prompt => return self.prompt_action(action),
            Layer::Confirm => return self.confirm_action(action),
            Layer::Help => return self.help_action(action),
            Layer::Problems => return self.problems_action(action),
            Layer::Detail if self.scroll_detail(action) => return vec![],
            Layer::Board | Layer::Detail => {}
        }
        self.board_action(action)
    }

    fn prompt_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::Back => {
                self.cancel_prompt();
                vec![]
            }
            Action::Submit => match self.layers.pop() {
                Some(Pane::Prompt(prompt)) => self.submit(prompt),
                Some(other) => {
                    self.layers.push(other);
                    vec![]
                }
                None => vec![],
            },
            editing => {
                let changed = self.prompt_mut().is_some_and(|p| p.edit(editing));
                if changed {
                    self.prompt_text_changed();
                }
                vec![]
            }
        }
    }

    fn confirm_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::Yes => self.answer(true),
            _ => self.answer(false),
        }
    }

    /// Close the question; on yes, send what it asked about.
    fn answer(&mut self, yes: bool) -> Vec<Effect> {
        match self.layers.pop() {
            Some(Pane::Confirm { request, .. }) if yes => vec![Effect::Request(request)],
            Some(Pane::Confirm { .. }) => {
                self.message = Some("cancelled; nothing was changed".into());
                vec![]
            }
            Some(other) => {
                self.layers.push(other);
                vec![]
            }
            None => vec![],
        }
    }

    fn help_action(&mut self, action: Action) -> Vec<Effect> {
        let max = self.help_max_scroll();
        let page = self.height.saturating_sub(8).max(1);
        if let Some(Pane::Help { scroll }) = self.layers.last_mut() {
            *scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1),
                Action::Top => 0,
                Action::Bottom => max,
                Action::PageUp => scroll.saturating_sub(page),
                Action::PageDown => scroll.saturating_add(page),
                _ => *scroll,
            }
            .min(max);
        }
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::Back => {
                self.layers.pop();
                vec![]
            }
            Action::Suspend => vec![Effect::Suspend],
            _ => vec![],
        }
    }

    /// The last scroll position of the help at this terminal size: its last line at the
    /// bottom of the popup.
    pub fn help_max_scroll(&self) -> u16 {
        let (paragraph, width) = super::view::help_text(self, &self.theme, self.width);
        let lines = paragraph.line_count(width.saturating_sub(2).max(1)) as u16;
        let visible = self.help_height().saturating_sub(2);
        lines.saturating_sub(visible)
    }

    /// Rows the help popup takes: the screen between the title bar and the status line.
    pub fn help_height(&self) -> u16 {
        self.height.saturating_sub(3)
    }

    fn problems_action(&mut self, action: Action) -> Vec<Effect> {
        let last = self.problems.len().saturating_sub(1);
        if let Some(Pane::Problems { selected, context }) = self.layers.last_mut() {
            let before = *selected;
            *selected = match action {
                Action::Up => selected.saturating_sub(1),
                Action::Down => *selected + 1,
                Action::Top => 0,
                Action::Bottom => last,
                Action::PageUp => selected.saturating_sub(10),
                Action::PageDown => *selected + 10,
                _ => *selected,
            }
            .min(last);
            if *selected != before {
                *context = None;
            }
        }
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::Back => {
                self.layers.pop();
                vec![]
            }
            Action::Help => {
                self.push(Pane::Help { scroll: 0 });
                vec![]
            }
            Action::Suspend => vec![Effect::Suspend],
            Action::OpenEditor => self
                .selected_problem()
                .map(|p| vec![Effect::EditorAt(p.path.clone(), p.line)])
                .unwrap_or_default(),
            Action::OpenDetail => self
                .selected_problem()
                .map(|p| {
                    vec![Effect::Request(Request::ProblemContext {
                        path: p.path.clone(),
                        line: p.line.unwrap_or(1),
                    })]
                })
                .unwrap_or_default(),
            _ => vec![],
        }
    }

    /// The problem the problems view has selected.
    pub fn selected_problem(&self) -> Option<&Problem> {
        self.layers.iter().rev().find_map(|pane| match pane {
            Pane::Problems { selected, .. } => self.problems.get(*selected),
            _ => None,
        })
    }

    fn board_action(&mut self, action: Action) -> Vec<Effect> {
        if self.list.is_some() && self.list_action(action) {
            return vec![];
        }
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Suspend => return vec![Effect::Suspend],
            Action::Back => self.back(),
            Action::Help => self.push(Pane::Help { scroll: 0 }),
            Action::Left => self.focus_column(self.focus_col.saturating_sub(1)),
            Action::Right => self.focus_column(self.focus_col + 1),
            Action::Up => self.focus_row(self.row().saturating_sub(1)),
            Action::Down => self.focus_row(self.row() + 1),
            Action::Top => self.focus_row(0),
            Action::Bottom => self.focus_row(usize::MAX),
            Action::PageUp => self.focus_row(self.row().saturating_sub(self.cards_per_page())),
            Action::PageDown => self.focus_row(self.row() + self.cards_per_page()),
            Action::MoveLeft => return self.move_card(-1),
            Action::MoveRight => return self.move_card(1),
            Action::ReorderUp => return self.reorder(-1),
            Action::ReorderDown => return self.reorder(1),
            Action::OpenDetail => return self.open_detail(),
            Action::EditTitle => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Title { path }, card.title.to_string())
                })
            }
            Action::SetAssignee => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Assignee { path }, card.assignees.join(", "))
                })
            }
            Action::EditLabels => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Labels { path }, card.labels.join(", "))
                })
            }
            Action::OpenEditor => {
                if let Some(path) = self.current_path() {
                    return vec![Effect::Editor(path)];
                }
            }
            Action::Search => {
                self.open_prompt(Prompt::new(PromptKind::Search, self.cards.search.clone()))
            }
            Action::Filter => self.open_prompt(Prompt::new(
                PromptKind::Filter,
                self.cards.filter.describe(),
            )),
            Action::RaisePriority => return self.shift_priority(-1),
            Action::LowerPriority => return self.shift_priority(1),
            Action::NewCard => self.open_new_card_prompt(),
            Action::Archive => {
                if let Some(card) = self.focused_card() {
                    let question = format!("archive {} \"{}\"?", card.id, card.title);
                    let request = Request::Archive {
                        path: card.path.to_string(),
                    };
                    self.push(Pane::Confirm { request, question });
                }
            }
            Action::Undo => return vec![Effect::Request(Request::Undo)],
            Action::Redo => return vec![Effect::Request(Request::Redo)],
            Action::ToggleView => self.toggle_list(),
            Action::SortNext => return self.cycle_column_sort(),
            Action::SortReverse => {
                self.message = Some("O reverses the list view's sort (v)".into());
            }
            Action::ToggleDensity => {
                self.compact = !self.compact;
                self.keep_focus_visible();
                let density = if self.compact { "compact" } else { "normal" };
                self.message = Some(format!("{density} density"));
            }
            Action::NextProduct => self.cycle_product(1),
            Action::PrevProduct => self.cycle_product(-1),
            Action::Problems => self.push(Pane::Problems {
                selected: 0,
                context: None,
            }),
            // Prompt and question keys never reach the board (their layers take them).
            _ => {}
        }
        vec![]
    }

    /// Keys that mean something else in the list view: moving the selection, sorting.
    /// Returns whether the key was the list's.
    fn list_action(&mut self, action: Action) -> bool {
        let page = self.list_page();
        let Some(list) = self.list.as_mut() else {
            return false;
        };
        let row = list.selected;
        match action {
            Action::Up => list.select(row.saturating_sub(1), page),
            Action::Down => list.select(row + 1, page),
            Action::Top => list.select(0, page),
            Action::Bottom => list.select(usize::MAX, page),
            Action::PageUp => list.select(row.saturating_sub(page), page),
            Action::PageDown => list.select(row + page, page),
            Action::Left | Action::Right => {}
            Action::ReorderUp | Action::ReorderDown => {
                self.message = Some("reorder in the board view (v)".into());
            }
            Action::SortNext | Action::SortReverse => {
                if action == Action::SortNext {
                    list.cycle_sort();
                } else {
                    list.reverse();
                }
                let order = if list.descending {
                    "descending"
                } else {
                    "ascending"
                };
                self.message = Some(format!("sorted by {} ({order})", list.sort.name()));
                self.refresh_list();
            }
            _ => return false,
        }
        true
    }

    /// `o` on the board: the focused column's next sort (remembered for the next run).
    fn cycle_column_sort(&mut self) -> Vec<Effect> {
        let path = self.focused_card().map(|c| c.path.to_string());
        let col = self.focus_col;
        let sort = self.cards.column_sort(col).next();
        self.cards.set_column_sort(col, sort);
        self.refocus(path);
        let name = self.cards.columns.get(col).cloned().unwrap_or_default();
        self.message = Some(format!("{name} sorted by {}", sort.name()));
        let sorts = self
            .cards
            .column_sorts
            .iter()
            .map(|(column, sort)| (column.clone(), *sort))
            .collect();
        vec![Effect::Request(Request::SaveSorts(sorts))]
    }

    /// `v`: the list view in place of the columns, or back; the same card stays focused.
    fn toggle_list(&mut self) {
        let path = self.focused_card().map(|c| c.path.to_string());
        match self.list.take() {
            Some(_) => {
                if let Some(path) = path {
                    self.focus_path(&path);
                }
                self.message = Some("board view".into());
            }
            None => {
                self.list = Some(ListView::default());
                self.refresh_list_keeping(path.as_deref());
                self.message = Some("list view: o sorts by the next column, O reverses".into());
            }
        }
    }

    fn refresh_list(&mut self) {
        let path = self.focused_card().map(|c| c.path.to_string());
        self.refresh_list_keeping(path.as_deref());
    }

    fn refresh_list_keeping(&mut self, path: Option<&str>) {
        let page = self.list_page();
        if let Some(list) = self.list.as_mut() {
            list.refresh(&self.cards, &self.info.priorities, path);
            list.select(list.selected, page);
        }
    }

    /// Esc on the board (or a pane): close the top pane, else clear the search and filter.
    fn back(&mut self) {
        if self.layers.pop().is_some() {
            return;
        }
        if !self.cards.search.is_empty() || !self.cards.filter.is_empty() {
            let path = self.focused_card().map(|c| c.path.to_string());
            self.cards.set_search("");
            self.cards.set_filter(CardFilter::default());
            self.message = Some("search and filter cleared".into());
            self.refocus(path);
        }
    }

    /// Esc in a prompt: close it; a search prompt also clears the search it typed.
    fn cancel_prompt(&mut self) {
        let Some(Pane::Prompt(prompt)) = self.layers.pop() else {
            return;
        };
        if prompt.kind == PromptKind::Search {
            let path = self.focused_card().map(|c| c.path.to_string());
            self.cards.set_search("");
            self.refocus(path);
        }
    }

    /// A search prompt filters the cards as it is typed.
    fn prompt_text_changed(&mut self) {
        let Some(prompt) = self.prompt() else {
            return;
        };
        if prompt.kind != PromptKind::Search {
            return;
        }
        let pattern = prompt.text().to_string();
        let path = self.focused_card().map(|c| c.path.to_string());
        self.cards.set_search(&pattern);
        self.refocus(path);
    }

    fn submit(&mut self, prompt: Prompt) -> Vec<Effect> {
        let text = prompt.text().trim().to_string();
        if prompt.stale {
            let path = prompt.card_path().unwrap_or_default();
            self.message = Some(format!(
                "{path} changed on disk while the prompt was open; nothing was saved (open it again to edit the new version)"
            ));
            return vec![];
        }
        let edit = |path: String, field: FieldEdit| {
            vec![Effect::Request(Request::Edit {
                path,
                base: prompt.base.clone(),
                edits: vec![field],
                force: false,
            })]
        };
        match prompt.kind.clone() {
            PromptKind::Search => {
                let n = self.cards.visible_len();
                self.message = Some(format!("{n} {} match", plural(n, "card", "cards")));
                vec![]
            }
            PromptKind::Filter => {
                let path = self.focused_card().map(|c| c.path.to_string());
                match self.cards.set_filter_text(&text) {
                    Ok(()) => self.refocus(path),
                    Err(e) => self.message = Some(e),
                }
                vec![]
            }
            PromptKind::Title { .. } | PromptKind::NewCard { .. } if text.is_empty() => {
                self.message = Some("a card needs a title".into());
                vec![]
            }
            PromptKind::Title { path } => edit(path, FieldEdit::Title(text)),
            PromptKind::Assignee { path } => {
                edit(path, FieldEdit::Assignees(ListEdit::set(split_list(&text))))
            }
            PromptKind::Labels { path } => {
                edit(path, FieldEdit::Labels(ListEdit::set(split_list(&text))))
            }
            PromptKind::NewCardProduct { status } => {
                match self
                    .info
                    .products
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(&text))
                {
                    Some(product) => {
                        let kind = PromptKind::NewCard {
                            status,
                            product: Some(product.clone()),
                        };
                        self.open_prompt(Prompt::new(kind, ""));
                    }
                    None => {
                        self.message = Some(format!(
                            "no product `{text}`; products: {}",
                            self.info.products.join(", ")
                        ))
                    }
                }
                vec![]
            }
            PromptKind::NewCard { status, product } => {
                vec![Effect::Request(Request::Create(NewCard {
                    title: text,
                    status: Some(status),
                    product,
                    ..NewCard::default()
                }))]
            }
        }
    }

    /// `n`: a title prompt for a card in the focused column, in the product on screen; with
    /// several products on screen at once (kano, "all products"), ask which one first.
    fn open_new_card_prompt(&mut self) {
        let status = self
            .cards
            .columns
            .get(self.focus_col)
            .cloned()
            .unwrap_or_default();
        let kind = match (&self.cards.product, self.info.products.as_slice()) {
            (None, [_, _, ..]) => {
                let first = self.info.products[0].clone();
                self.open_prompt(Prompt::new(PromptKind::NewCardProduct { status }, first));
                return;
            }
            (product, _) => PromptKind::NewCard {
                status,
                product: product.clone(),
            },
        };
        self.open_prompt(Prompt::new(kind, ""));
    }

    // ---- focus ---------------------------------------------------------------------------

    fn focus_column(&mut self, col: usize) {
        self.focus_col = col.min(self.cards.columns.len().saturating_sub(1));
        self.clamp_row();
        self.keep_focus_visible();
    }

    fn focus_row(&mut self, row: usize) {
        if let Some(r) = self.rows.get_mut(self.focus_col) {
            *r = row;
        }
        self.clamp_row();
        self.keep_focus_visible();
    }

    fn clamp_row(&mut self) {
        self.rows.resize(self.cards.columns.len(), 0);
        self.scroll.resize(self.cards.columns.len(), 0);
        for (col, row) in self.rows.iter_mut().enumerate() {
            let len = self.cards.visible.get(col).map_or(0, Vec::len);
            *row = (*row).min(len.saturating_sub(1));
        }
    }

    /// Scroll each column so its focused row is drawn, and the columns so the focused one is.
    fn keep_focus_visible(&mut self) {
        self.clamp_row();
        let page = self.cards_per_page();
        for (col, (row, scroll)) in self.rows.iter().zip(self.scroll.iter_mut()).enumerate() {
            if *row < *scroll {
                *scroll = *row;
            } else if *row >= *scroll + page {
                *scroll = row + 1 - page;
            }
            // Never scrolled past the last card: no blank rows under a full column.
            let len = self.cards.visible.get(col).map_or(0, Vec::len);
            *scroll = (*scroll).min(len.saturating_sub(page));
        }
        let fit = self.columns_that_fit();
        if self.focus_col < self.col_scroll {
            self.col_scroll = self.focus_col;
        } else if self.focus_col >= self.col_scroll + fit {
            self.col_scroll = self.focus_col + 1 - fit;
        }
        self.col_scroll = self
            .col_scroll
            .min(self.cards.columns.len().saturating_sub(fit));
    }

    /// Put the focus on the card at `path` if it is shown; otherwise keep the position, or,
    /// when the focused column has emptied (a search), go to the first column with cards.
    fn refocus(&mut self, path: Option<String>) {
        if let Some(path) = path {
            if self.focus_path(&path) {
                return;
            }
        }
        let empty = |col: usize| self.cards.visible.get(col).is_none_or(Vec::is_empty);
        if empty(self.focus_col) {
            if let Some(col) = (0..self.cards.columns.len()).find(|c| !empty(*c)) {
                self.focus_col = col;
            }
        }
        self.clamp_row();
        self.keep_focus_visible();
    }

    /// Focus the card at `path`; false if it is not on the board (filtered out or unknown).
    pub fn focus_path(&mut self, path: &str) -> bool {
        let Some(slot) = self.cards.slot_of(path) else {
            return false;
        };
        for (col, slots) in self.cards.visible.iter().enumerate() {
            if let Some(row) = slots.iter().position(|s| *s == slot) {
                self.focus_col = col;
                self.rows.resize(self.cards.columns.len(), 0);
                self.rows[col] = row;
                self.keep_focus_visible();
                return true;
            }
        }
        false
    }

    fn current_path(&self) -> Option<String> {
        match (self.top_layer(), self.detail()) {
            (Layer::Detail, Some(d)) => Some(d.path.clone()),
            _ => self.focused_card().map(|c| c.path.to_string()),
        }
    }

    fn current_card(&self) -> Option<BoardCard> {
        let path = self.current_path()?;
        self.cards
            .slot_of(&path)
            .and_then(|s| self.cards.card(s))
            .cloned()
    }

    // ---- edits ---------------------------------------------------------------------------

    fn move_card(&mut self, step: isize) -> Vec<Effect> {
        let Some(card) = self.current_card() else {
            return vec![];
        };
        let Some(col) = self.cards.columns.iter().position(|c| **c == *card.status) else {
            return vec![];
        };
        let target = col as isize + step;
        if target < 0 || target as usize >= self.cards.columns.len() {
            self.message = Some(format!(
                "{} is already in the {} column",
                card.id,
                if step < 0 { "first" } else { "last" }
            ));
            return vec![];
        }
        let status = self.cards.columns[target as usize].clone();
        self.pending_focus = Some(card.path.to_string());
        vec![Effect::Request(Request::Edit {
            path: card.path.to_string(),
            base: None,
            edits: vec![FieldEdit::Status(status)],
            force: false,
        })]
    }

    /// `K`/`J`: put the focused card before the card above it or after the card below it.
    fn reorder(&mut self, step: isize) -> Vec<Effect> {
        let sort = self.cards.column_sort(self.focus_col);
        if sort != ColumnSort::Board {
            self.message = Some(format!(
                "this column is sorted by {}: press o until board order to reorder",
                sort.name()
            ));
            return vec![];
        }
        if self.info.layout == LayoutKind::Kano {
            self.message =
                Some("kano cards have no order field: the column is sorted by id".into());
            return vec![];
        }
        let slots = &self.cards.visible[self.focus_col];
        let row = self.row();
        let path_at = |r: Option<usize>| -> Option<String> {
            let slot = *slots.get(r?)?;
            Some(self.cards.card(slot)?.path.to_string())
        };
        let Some(path) = path_at(Some(row)) else {
            return vec![];
        };
        let (prev, next) = match step {
            // Up: between the card two above and the one above.
            s if s < 0 => match row.checked_sub(1) {
                Some(above) => (
                    above.checked_sub(1).and_then(|r| path_at(Some(r))),
                    path_at(Some(above)),
                ),
                None => return vec![],
            },
            // Down: right after the card below.
            _ => match path_at(Some(row + 1)) {
                Some(below) => (Some(below), None),
                None => return vec![],
            },
        };
        self.pending_focus = Some(path.clone());
        vec![Effect::Request(Request::Reorder { path, prev, next })]
    }

    fn shift_priority(&mut self, step: isize) -> Vec<Effect> {
        let Some(card) = self.current_card() else {
            return vec![];
        };
        let scale = &self.info.priorities;
        match shift_priority(scale, card.priority.as_deref(), step) {
            Some(next) => vec![Effect::Request(Request::Edit {
                path: card.path.to_string(),
                base: None,
                edits: vec![FieldEdit::Priority(Some(next))],
                force: false,
            })],
            None => {
                let at = card.priority.as_deref().unwrap_or("none");
                self.message = Some(format!("{} is already at priority {at}", card.id));
                vec![]
            }
        }
    }

    fn open_detail(&mut self) -> Vec<Effect> {
        let Some(card) = self.focused_card() else {
            return vec![];
        };
        let path = card.path.to_string();
        self.push(Pane::Detail(Detail {
            path: path.clone(),
            item: None,
            body: String::new(),
            text: Text::from(Line::styled("loading…", self.theme.dim)),
            scroll: 0,
            gone: None,
        }));
        vec![Effect::Request(Request::LoadDetail { path })]
    }

    /// A prompt on the current card, pinned to the version on screen: the worker answers
    /// with its content hash, and the edit is refused if the file is another version by then.
    fn open_card_prompt(&mut self, make: impl FnOnce(String, &BoardCard) -> Prompt) -> Vec<Effect> {
        let Some(card) = self.current_card() else {
            return vec![];
        };
        let path = card.path.to_string();
        self.open_prompt(make(path.clone(), &card));
        vec![Effect::Request(Request::Pin { path })]
    }

    /// Scroll the detail pane for a scrolling action (true), clamped so its last line stays
    /// at the bottom rather than scrolling into a blank pane.
    fn scroll_detail(&mut self, action: Action) -> bool {
        let page = self.detail_height();
        let max = self.detail_max_scroll();
        let Some(d) = self.detail_mut() else {
            return false;
        };
        d.scroll = match action {
            Action::Up => d.scroll.saturating_sub(1),
            Action::Down => d.scroll.saturating_add(1),
            Action::Top => 0,
            Action::Bottom => max,
            Action::PageUp => d.scroll.saturating_sub(page),
            Action::PageDown => d.scroll.saturating_add(page),
            _ => return false,
        }
        .min(max);
        true
    }

    /// Rows of text the detail pane shows at once (inside its border).
    pub fn detail_height(&self) -> u16 {
        // title bar, status line, footer, two border rows
        self.height.saturating_sub(5).max(1)
    }

    /// The detail pane's last scroll position: its last line at the bottom.
    pub fn detail_max_scroll(&self) -> u16 {
        let Some(d) = self.detail() else {
            return 0;
        };
        let paragraph = ratatui::widgets::Paragraph::new(d.text.clone())
            .wrap(ratatui::widgets::Wrap { trim: false });
        let lines = paragraph.line_count(self.width.saturating_sub(2).max(1));
        (lines as u16).saturating_sub(self.detail_height())
    }

    /// Tab / Shift-Tab: the next or previous product (kano), "all" between the last and the
    /// first.
    fn cycle_product(&mut self, step: isize) {
        let products = &self.info.products;
        if products.len() < 2 {
            self.message = Some("this backlog has one product".into());
            return;
        }
        // Positions 0..n are the products, n is "all".
        let n = products.len() as isize;
        let at = match &self.cards.product {
            None => n,
            Some(p) => products
                .iter()
                .position(|x| x == p)
                .map_or(n, |i| i as isize),
        };
        let next = (at + step).rem_euclid(n + 1);
        let next = products.get(next as usize).cloned();
        self.message = Some(format!("product: {}", next.as_deref().unwrap_or("all")));
        self.cards.set_product(next);
        self.clamp_row();
        self.keep_focus_visible();
    }

    // ---- worker messages -----------------------------------------------------------------

    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }

    /// How long a message that is not an error stays on the status line.
    pub const MESSAGE_LIFETIME: Duration = Duration::from_secs(4);

    /// Clear a message that has been on screen for [`Self::MESSAGE_LIFETIME`]; errors stay
    /// until the next key. Returns whether the status line changed.
    pub fn expire_message(&mut self, now: Instant) -> bool {
        let Some(text) = self.message.clone() else {
            self.message_since = None;
            return false;
        };
        match &self.message_since {
            Some((shown, since)) if *shown == text => {
                if !self.message_error && now.duration_since(*since) >= Self::MESSAGE_LIFETIME {
                    self.message = None;
                    self.message_since = None;
                    return true;
                }
                false
            }
            _ => {
                self.message_since = Some((text, now));
                false
            }
        }
    }

    /// Apply a worker message. Focus, scroll and filters are kept; a card that vanished from
    /// under the focus hands it to its neighbour. Returns follow-up effects (reload the detail).
    pub fn msg(&mut self, msg: Msg) -> Vec<Effect> {
        let focused = self.focused_card().map(|c| c.path.to_string());
        let mut effects = Vec::new();
        match msg {
            Msg::Preview { cards, counts } if !self.loaded => {
                self.cards.replace_all_cards(cards);
                self.cards.totals = Some(counts.into_iter().collect());
            }
            Msg::Preview { .. } => {}
            Msg::Snapshot { cards, problems } => {
                self.cards.replace_all(cards);
                self.info.priorities = priority_scale(
                    self.info.layout,
                    self.cards.priorities().iter().map(|p| &**p),
                );
                self.cards.priorities = self.info.priorities.clone();
                self.cards.sort_columns();
                self.cards.totals = None;
                self.problems = problems;
                self.loaded = true;
            }
            Msg::Cards {
                upserts,
                removed,
                problems,
                own,
            } => {
                let touched = |path: &str| {
                    upserts.iter().any(|c| c.path == path) || removed.iter().any(|p| p == path)
                };
                for pane in &mut self.layers {
                    if let Pane::Prompt(prompt) = pane {
                        if !own && prompt.card_path().is_some_and(touched) {
                            prompt.stale = true;
                        }
                    }
                }
                if let Some(problems) = problems {
                    self.problems = problems;
                }
                effects.extend(self.detail_changed(&upserts, &removed));
                self.cards.apply(upserts, &removed);
            }
            Msg::Detail { item, body } => {
                let rendered = detail_text(&item, &body, &self.theme, self.width);
                if let Some(d) = self.detail_mut().filter(|d| d.path == item.card.path) {
                    d.item = Some(item);
                    d.body = body;
                    d.text = rendered;
                    d.gone = None;
                }
                let max = self.detail_max_scroll();
                if let Some(d) = self.detail_mut() {
                    d.scroll = d.scroll.min(max);
                }
            }
            Msg::Edited(message) => {
                self.message = Some(self.note_if_hidden(message));
                self.message_error = false;
            }
            Msg::Pinned { path, hash } => {
                for pane in &mut self.layers {
                    if let Pane::Prompt(prompt) = pane {
                        if prompt.card_path() == Some(path.as_str()) && prompt.base.is_none() {
                            prompt.base = Some(hash.clone());
                        }
                    }
                }
            }
            Msg::Confirm { question, request } => self.push(Pane::Confirm { request, question }),
            Msg::ProblemContext(shown) => {
                for pane in &mut self.layers {
                    if let Pane::Problems { context, .. } = pane {
                        *context = Some(shown.clone());
                    }
                }
            }
            Msg::Focus { path } => self.pending_focus = Some(path),
            Msg::Busy(what) => self.busy = what,
            Msg::Info(message) => {
                self.message = Some(message);
                self.message_error = false;
            }
            Msg::Failed(message) => {
                self.message = Some(message);
                self.message_error = true;
            }
        }
        self.after_change(focused);
        effects
    }

    /// The open detail pane's card changed: reload it; or it stopped being a card: say what
    /// it is now (a problem, with its line, or gone) and keep showing what it was.
    fn detail_changed(&mut self, upserts: &[Card], removed: &[String]) -> Vec<Effect> {
        let Some(path) = self.detail().map(|d| d.path.clone()) else {
            return vec![];
        };
        if upserts.iter().any(|c| c.path == path) {
            return vec![Effect::Request(Request::LoadDetail { path })];
        }
        if removed.contains(&path) {
            let why = match self.problems.iter().find(|p| p.path == path) {
                Some(p) => match p.line {
                    Some(line) => format!("no longer reads as a card: line {line}: {}", p.message),
                    None => format!("no longer reads as a card: {}", p.message),
                },
                None => "was deleted or moved on disk".to_string(),
            };
            self.message = Some(format!("{path} {why}"));
            if let Some(d) = self.detail_mut() {
                d.gone = Some(why);
            }
        }
        vec![]
    }

    /// A card just created (or moved) that the filter, search or product hides would seem
    /// to vanish, so the message says what hides it. The card is still `pending_focus` then
    /// (it could not be focused); it is dropped so the focus does not jump to it later.
    fn note_if_hidden(&mut self, message: String) -> String {
        let Some(why) = self
            .pending_focus
            .as_deref()
            .and_then(|path| self.cards.hidden_by(path))
        else {
            return message;
        };
        self.pending_focus = None;
        format!("{message} (hidden by {why})")
    }

    /// Keep the focus on the same card when it is still shown; else stay at the same row
    /// (the neighbour takes its place).
    fn after_change(&mut self, focused: Option<String>) {
        if self.list.is_some() {
            let keep = self.pending_focus.take().or(focused.clone());
            self.refresh_list_keeping(keep.as_deref());
        }
        self.rows.resize(self.cards.columns.len(), 0);
        self.scroll.resize(self.cards.columns.len(), 0);
        if let Some(path) = self.pending_focus.take() {
            if self.focus_path(&path) {
                return;
            }
            self.pending_focus = Some(path);
        }
        self.refocus(focused);
    }
}

/// The detail pane's text: the frontmatter as a table of fields, the file, then the body
/// rendered from Markdown. Built once per card version, not per frame.
pub fn detail_text(item: &Item, body: &str, theme: &Theme, width: u16) -> Text<'static> {
    let key_width = item
        .fields
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let mut text = Text::default();
    for (key, value) in &item.fields {
        text.lines.push(Line::from(vec![
            Span::styled(format!("{key:<key_width$}  "), theme.dim),
            Span::raw(field_text(value)),
        ]));
    }
    text.lines.push(Line::styled(
        format!("{:<key_width$}  {}", "file", item.card.path),
        theme.dim,
    ));
    text.lines.push(Line::styled(
        "─".repeat(width.saturating_sub(2) as usize),
        theme.border,
    ));
    text.lines
        .extend(super::markdown::render(body, theme).lines);
    text
}

/// A frontmatter value on one line: lists joined, maps as `k: v`, null as `—`.
fn field_text(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", field_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
