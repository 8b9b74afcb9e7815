//! Pure render functions: `&App` in, a frame out. One file per view; this one lays out the
//! screen (title bar, the top view, status line, footer) and routes to the top layer.

mod board;
mod detail;
mod overlays;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub use board::{truncate, wrap_two};

use super::app::{App, Overlay};
use super::keymap::{Action, Layer};
use super::theme::Theme;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draw the whole screen.
pub fn render(app: &App, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Paragraph::new("").style(theme.base), area);
    let [title, main, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    title_bar(app, theme, frame, title);
    let top = app.overlays.iter().rev().find(|o| **o != Overlay::Help);
    match top {
        Some(Overlay::Detail) => detail::render(app, theme, frame, main),
        Some(Overlay::Problems) => overlays::problems(app, theme, frame, main),
        _ => board::render(app, theme, frame, main),
    }
    if app.overlays.last() == Some(&Overlay::Help) {
        overlays::help(app, theme, frame, main);
    }
    status_line(app, theme, frame, status);
    footer_line(app, theme, frame, footer);
}

fn title_bar(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let product = match (&app.cards.product, app.info.products.len()) {
        (_, 0 | 1) => String::new(),
        (Some(p), _) => format!(" product: {p} ⇥"),
        (None, _) => " product: all ⇥".to_string(),
    };
    let left = format!(" tack  {} ({})", app.info.root, app.info.layout.name());
    let width = area.width as usize;
    let left = truncate(&left, width.saturating_sub(product.chars().count()));
    let pad = width.saturating_sub(left.chars().count() + product.chars().count());
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::raw(product),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.title_bar), area);
}

fn status_line(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    if let Some(busy) = &app.busy {
        spans.push(Span::styled(
            format!(" {} {busy} ", SPINNER[app.spinner % SPINNER.len()]),
            theme.message,
        ));
    }
    let shown = app.cards.visible_len();
    let total = app.cards.total_len();
    let counts = if shown == total || app.cards.totals.is_some() {
        format!(" {total} cards")
    } else {
        format!(" {shown} of {total} cards")
    };
    spans.push(Span::raw(counts));
    if !app.cards.search.is_empty() {
        spans.push(Span::raw(format!(" · search: {}", app.cards.search)));
    }
    if !app.cards.filter.is_empty() {
        spans.push(Span::raw(format!(
            " · filter: {}",
            app.cards.filter.describe()
        )));
    }
    if !app.problems.is_empty() {
        spans.push(Span::styled(
            format!(" · {} unreadable (!)", app.problems.len()),
            theme.priority_high,
        ));
    }
    if let Some(message) = &app.message {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(message.clone(), theme.message));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status_line),
        area,
    );
}

fn footer_line(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = if let Some(prompt) = &app.prompt {
        Line::from(vec![
            Span::styled(prompt.label(), theme.key),
            Span::raw(prompt.text.clone()),
            Span::styled("█", theme.dim),
        ])
    } else if let Some((_, question)) = &app.confirm {
        Line::styled(question.clone(), theme.message)
    } else {
        // Most needed first: on a narrow screen the right end is cut off.
        let hints: &[(Action, &str)] = match app.top_layer() {
            Layer::Board => &[
                (Action::Help, "help"),
                (Action::Quit, "quit"),
                (Action::MoveRight, "move"),
                (Action::OpenDetail, "detail"),
                (Action::Search, "search"),
                (Action::NewCard, "new"),
            ],
            Layer::Detail => &[
                (Action::Back, "back"),
                (Action::Help, "help"),
                (Action::OpenEditor, "edit in $EDITOR"),
                (Action::MoveRight, "move"),
                (Action::Down, "scroll"),
            ],
            Layer::Problems | Layer::Help => &[(Action::Back, "back"), (Action::Quit, "quit")],
        };
        let mut spans = Vec::new();
        for (action, what) in hints {
            spans.push(Span::styled(
                format!(" {}", app.keymap.first_key(*action)),
                theme.key,
            ));
            spans.push(Span::styled(format!(" {what} "), theme.dim));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}
