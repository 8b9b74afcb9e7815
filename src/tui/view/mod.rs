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
pub use overlays::{help_lines, help_text};

use super::app::{App, Pane};
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
    match app.main_pane() {
        Some(Pane::Detail(detail)) => detail::render(detail, theme, frame, main),
        Some(Pane::Problems { selected }) => overlays::problems(app, *selected, theme, frame, main),
        _ => board::render(app, theme, frame, main),
    }
    if let Some(Pane::Help { scroll }) = app.layers.last() {
        overlays::help(app, *scroll, theme, frame, main);
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

/// The footer: the open prompt as a line editor, the question asked, or the top layer's key
/// hints (from the keymap table, most needed first: a narrow screen cuts the right end).
fn footer_line(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    if let Some(prompt) = app.prompt() {
        let label = prompt.label();
        let room = (area.width as usize).saturating_sub(label.chars().count());
        let (shown, cursor) = prompt.visible(room);
        let line = Line::from(vec![Span::styled(label, theme.key), Span::raw(shown)]);
        frame.render_widget(Paragraph::new(line), area);
        let x = area.x + (label.chars().count() + cursor).min(area.width as usize) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    let line = match app.confirm() {
        // The answer keys come first, so a narrow screen always shows them.
        Some(question) => Line::from(vec![
            Span::styled("(y/n) ", theme.key),
            Span::styled(question.to_string(), theme.message),
        ]),
        None => {
            let mut spans = Vec::new();
            for (key, what) in app.keymap.footer(app.top_layer()) {
                spans.push(Span::styled(format!(" {key}"), theme.key));
                spans.push(Span::styled(format!(" {what} "), theme.dim));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
