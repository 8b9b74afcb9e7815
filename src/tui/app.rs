//! The board's state and how keys and worker messages change it. Nothing here knows about the
//! terminal or the disk: a key yields [`Effect`]s (requests for the worker, quit, run the
//! editor) that the event loop carries out, which is what lets the tests drive it directly.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::cards::BoardCard;
use super::cards::{CardFilter, CardStore};
use super::keymap::{Action, Keymap, Layer};
use super::worker::{Msg, Request};
use crate::item::{Item, Problem};
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

/// The panes that can sit on top of the board; keys go to the top one only.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Detail,
    Problems,
    Help,
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Search,
    Filter,
    Title {
        path: String,
    },
    Assignee {
        path: String,
    },
    Labels {
        path: String,
    },
    /// kano with several products shown at once: which product the new card goes to.
    NewCardProduct {
        status: String,
    },
    NewCard {
        status: String,
        product: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// The content hash of the card version the prompt was opened on (from the worker).
    pub base: Option<String>,
    /// The card changed on disk while the prompt was open: saving would overwrite that.
    pub stale: bool,
}

impl Prompt {
    fn new(kind: PromptKind, text: impl Into<String>) -> Prompt {
        Prompt {
            kind,
            text: text.into(),
            base: None,
            stale: false,
        }
    }

    /// The card the prompt edits, if it edits one.
    fn card_path(&self) -> Option<&str> {
        match &self.kind {
            PromptKind::Title { path }
            | PromptKind::Assignee { path }
            | PromptKind::Labels { path } => Some(path),
            _ => None,
        }
    }
}

impl Prompt {
    pub fn label(&self) -> &'static str {
        match self.kind {
            PromptKind::Search => "/",
            PromptKind::Filter => {
                "filter (label: assignee: priority: type: status: product:; a,b  -key:x  key:none) "
            }
            PromptKind::Title { .. } => "title: ",
            PromptKind::Assignee { .. } => "assignees (comma-separated): ",
            PromptKind::Labels { .. } => "labels (comma-separated): ",
            PromptKind::NewCardProduct { .. } => "new card in product: ",
            PromptKind::NewCard { .. } => "new card title: ",
        }
    }
}

/// The open detail pane.
#[derive(Debug, Clone)]
pub struct Detail {
    pub path: String,
    pub item: Option<Box<Item>>,
    pub body: String,
    pub scroll: u16,
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
    pub overlays: Vec<Overlay>,
    pub prompt: Option<Prompt>,
    /// A yes/no question (archive, kano's Ready gate): the request to send on yes, and the
    /// question.
    pub confirm: Option<(Request, String)>,
    pub detail: Option<Detail>,
    pub problems_scroll: u16,
    pub help_scroll: u16,
    pub message: Option<String>,
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
            overlays: Vec::new(),
            prompt: None,
            confirm: None,
            detail: None,
            problems_scroll: 0,
            help_scroll: 0,
            message: None,
            busy: None,
            spinner: 0,
            width: 80,
            height: 24,
            pending_focus: None,
            loaded: false,
        }
    }

    // ---- queries used by the views -------------------------------------------------------

    pub fn focused_card(&self) -> Option<&BoardCard> {
        let slot = *self.cards.visible.get(self.focus_col)?.get(self.row())?;
        self.cards.card(slot)
    }

    pub fn row(&self) -> usize {
        self.rows.get(self.focus_col).copied().unwrap_or(0)
    }

    /// How many columns fit side by side.
    pub fn columns_that_fit(&self) -> usize {
        ((self.width / MIN_COLUMN_WIDTH) as usize).clamp(1, self.cards.columns.len().max(1))
    }

    /// Cards that fit in a column's height.
    pub fn cards_per_page(&self) -> usize {
        // title bar, column header + border, status line, footer
        let chrome = 6;
        (self.height.saturating_sub(chrome) / CARD_HEIGHT).max(1) as usize
    }

    pub fn top_layer(&self) -> Layer {
        match self.overlays.last() {
            Some(Overlay::Help) => Layer::Help,
            Some(Overlay::Problems) => Layer::Problems,
            Some(Overlay::Detail) => Layer::Detail,
            None => Layer::Board,
        }
    }

    // ---- input ---------------------------------------------------------------------------

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.keep_focus_visible();
    }

    /// Handle one key; what the event loop must do about it.
    pub fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return vec![Effect::Quit];
        }
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        if let Some((request, _)) = self.confirm.take() {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => vec![Effect::Request(request)],
                _ => {
                    self.message = Some("cancelled; nothing was changed".into());
                    vec![]
                }
            };
        }
        let layer = self.top_layer();
        match self.keymap.action(layer, key) {
            Some(action) => self.action(layer, action),
            None => vec![],
        }
    }

    fn action(&mut self, layer: Layer, action: Action) -> Vec<Effect> {
        match (layer, action) {
            (_, Action::Quit) => return vec![Effect::Quit],
            (_, Action::Back) => self.back(),
            (Layer::Help, Action::Up) => self.help_scroll = self.help_scroll.saturating_sub(1),
            (Layer::Help, Action::Down) => self.help_scroll += 1,
            (_, Action::Help) => self.overlays.push(Overlay::Help),
            (Layer::Problems, a) => self.scroll_problems(a),
            (
                Layer::Detail,
                Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown,
            ) => self.scroll_detail(action),
            (_, Action::Left) => self.focus_column(self.focus_col.saturating_sub(1)),
            (_, Action::Right) => self.focus_column(self.focus_col + 1),
            (_, Action::Up) => self.focus_row(self.row().saturating_sub(1)),
            (_, Action::Down) => self.focus_row(self.row() + 1),
            (_, Action::Top) => self.focus_row(0),
            (_, Action::Bottom) => self.focus_row(usize::MAX),
            (_, Action::PageUp) => self.focus_row(self.row().saturating_sub(self.cards_per_page())),
            (_, Action::PageDown) => self.focus_row(self.row() + self.cards_per_page()),
            (_, Action::MoveLeft) => return self.move_card(-1),
            (_, Action::MoveRight) => return self.move_card(1),
            (_, Action::ReorderUp) => return self.reorder(-1),
            (_, Action::ReorderDown) => return self.reorder(1),
            (_, Action::OpenDetail) => return self.open_detail(),
            (_, Action::EditTitle) => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Title { path }, card.title.to_string())
                })
            }
            (_, Action::SetAssignee) => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Assignee { path }, card.assignees.join(", "))
                })
            }
            (_, Action::EditLabels) => {
                return self.open_card_prompt(|path, card| {
                    Prompt::new(PromptKind::Labels { path }, card.labels.join(", "))
                })
            }
            (_, Action::OpenEditor) => {
                if let Some(path) = self.current_path() {
                    return vec![Effect::Editor(path)];
                }
            }
            (_, Action::Search) => {
                self.prompt = Some(Prompt::new(PromptKind::Search, self.cards.search.clone()))
            }
            (_, Action::Filter) => {
                self.prompt = Some(Prompt::new(
                    PromptKind::Filter,
                    self.cards.filter.describe(),
                ))
            }
            (_, Action::RaisePriority) => return self.shift_priority(-1),
            (_, Action::LowerPriority) => return self.shift_priority(1),
            (_, Action::NewCard) => self.open_new_card_prompt(),
            (_, Action::Archive) => {
                if let Some(card) = self.focused_card() {
                    let question = format!("archive {} \"{}\"? (y/n)", card.id, card.title);
                    let request = Request::Archive {
                        path: card.path.to_string(),
                    };
                    self.confirm = Some((request, question));
                }
            }
            (_, Action::Undo) => return vec![Effect::Request(Request::Undo)],
            (_, Action::Redo) => return vec![Effect::Request(Request::Redo)],
            (_, Action::NextProduct) => self.next_product(),
            (_, Action::Problems) => {
                self.problems_scroll = 0;
                self.overlays.push(Overlay::Problems);
            }
        }
        vec![]
    }

    fn back(&mut self) {
        if self.overlays.pop().is_some() {
            if !self.overlays.contains(&Overlay::Detail) {
                self.detail = None;
            }
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

    fn prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else {
            return vec![];
        };
        let mut text_changed = false;
        match key.code {
            KeyCode::Esc => {
                let was_search = prompt.kind == PromptKind::Search;
                self.prompt = None;
                if was_search {
                    let path = self.focused_card().map(|c| c.path.to_string());
                    self.cards.set_search("");
                    self.refocus(path);
                }
                return vec![];
            }
            KeyCode::Enter => {
                let Some(prompt) = self.prompt.take() else {
                    return vec![];
                };
                return self.submit(prompt);
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                text_changed = true;
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.text.clear();
                text_changed = true;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.text.push(c);
                text_changed = true;
            }
            _ => {}
        }
        if text_changed && prompt.kind == PromptKind::Search {
            let pattern = prompt.text.clone();
            let path = self.focused_card().map(|c| c.path.to_string());
            self.cards.set_search(&pattern);
            self.refocus(path);
        }
        vec![]
    }

    fn submit(&mut self, prompt: Prompt) -> Vec<Effect> {
        let text = prompt.text.trim().to_string();
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
                        self.prompt = Some(Prompt::new(kind, ""));
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
                self.prompt = Some(Prompt::new(PromptKind::NewCardProduct { status }, first));
                return;
            }
            (product, _) => PromptKind::NewCard {
                status,
                product: product.clone(),
            },
        };
        self.prompt = Some(Prompt::new(kind, ""));
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
        for (row, scroll) in self.rows.iter().zip(self.scroll.iter_mut()) {
            if *row < *scroll {
                *scroll = *row;
            } else if *row >= *scroll + page {
                *scroll = row + 1 - page;
            }
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
        match (self.top_layer(), &self.detail) {
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
        self.detail = Some(Detail {
            path: path.clone(),
            item: None,
            body: String::new(),
            scroll: 0,
        });
        self.overlays.push(Overlay::Detail);
        vec![Effect::Request(Request::LoadDetail { path })]
    }

    /// A prompt on the current card, pinned to the version on screen: the worker answers
    /// with its content hash, and the edit is refused if the file is another version by then.
    fn open_card_prompt(&mut self, make: impl FnOnce(String, &BoardCard) -> Prompt) -> Vec<Effect> {
        let Some(card) = self.current_card() else {
            return vec![];
        };
        let path = card.path.to_string();
        self.prompt = Some(make(path.clone(), &card));
        vec![Effect::Request(Request::Pin { path })]
    }

    fn scroll_detail(&mut self, action: Action) {
        let page = self.height.saturating_sub(4);
        if let Some(d) = self.detail.as_mut() {
            d.scroll = match action {
                Action::Up => d.scroll.saturating_sub(1),
                Action::Down => d.scroll.saturating_add(1),
                Action::Top => 0,
                Action::Bottom => u16::MAX / 2,
                Action::PageUp => d.scroll.saturating_sub(page),
                Action::PageDown => d.scroll.saturating_add(page),
                _ => d.scroll,
            };
        }
    }

    fn scroll_problems(&mut self, action: Action) {
        let max = self.problems.len().saturating_sub(1) as u16;
        self.problems_scroll = match action {
            Action::Up => self.problems_scroll.saturating_sub(1),
            Action::Down => (self.problems_scroll + 1).min(max),
            Action::Top => 0,
            Action::Bottom => max,
            Action::PageUp => self.problems_scroll.saturating_sub(10),
            Action::PageDown => (self.problems_scroll + 10).min(max),
            _ => self.problems_scroll,
        };
    }

    fn next_product(&mut self) {
        if self.info.products.len() < 2 {
            self.message = Some("this backlog has one product".into());
            return;
        }
        let next = match &self.cards.product {
            None => Some(self.info.products[0].clone()),
            Some(p) => {
                let i = self
                    .info
                    .products
                    .iter()
                    .position(|x| x == p)
                    .map_or(0, |i| i + 1);
                self.info.products.get(i).cloned()
            }
        };
        self.message = Some(format!("product: {}", next.as_deref().unwrap_or("all")));
        self.cards.set_product(next);
        self.clamp_row();
        self.keep_focus_visible();
    }

    // ---- worker messages -----------------------------------------------------------------

    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
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
                self.cards.totals = None;
                self.problems = problems;
                self.loaded = true;
            }
            Msg::Cards {
                upserts,
                removed,
                problems,
            } => {
                if let Some(prompt) = self.prompt.as_mut() {
                    let touched = |path: &str| {
                        upserts.iter().any(|c| c.path == path) || removed.iter().any(|p| p == path)
                    };
                    if prompt.card_path().is_some_and(touched) {
                        prompt.stale = true;
                    }
                }
                if let Some(d) = &self.detail {
                    if upserts.iter().any(|c| c.path == d.path) {
                        effects.push(Effect::Request(Request::LoadDetail {
                            path: d.path.clone(),
                        }));
                    }
                    if removed.contains(&d.path) {
                        self.message = Some(format!("{} was deleted on disk", d.path));
                    }
                }
                self.cards.apply(upserts, &removed);
                if let Some(problems) = problems {
                    self.problems = problems;
                }
            }
            Msg::Detail { item, body } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.path == item.card.path) {
                    d.item = Some(item);
                    d.body = body;
                }
            }
            Msg::Edited(message) => self.message = Some(self.note_if_hidden(message)),
            Msg::Pinned { path, hash } => {
                if let Some(prompt) = self.prompt.as_mut() {
                    if prompt.card_path() == Some(path.as_str()) && prompt.base.is_none() {
                        prompt.base = Some(hash);
                    }
                }
            }
            Msg::Confirm { question, request } => {
                self.confirm = Some((request, format!("{question} (y/n)")));
            }
            Msg::Focus { path } => self.pending_focus = Some(path),
            Msg::Busy(what) => self.busy = what,
            Msg::Info(message) | Msg::Failed(message) => self.message = Some(message),
        }
        self.after_change(focused);
        effects
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
