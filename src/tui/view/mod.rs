//! Pure render functions: `&App` in, a frame out. One file per view; this one lays out the
//! screen (title bar, the top view, status line, footer) and routes to the top layer.

mod board;
mod detail;
mod list;
mod overlays;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub use board::{truncate, wrap_two};
pub use overlays::{help_lines, help_text};

use super::app::{plural, App, Pane};
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
        Some(Pane::Problems { selected, context }) => {
            overlays::problems(app, *selected, context.as_ref(), theme, frame, main)
        }
        _ => match &app.list {
            Some(list_view) => list::render(app, list_view, theme, frame, main),
            None => board::render(app, theme, frame, main),
        },
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

/// The status line: the message first (what just happened matters most), shortened in the
/// middle of its longest path when the screen is narrow; then the spinner, the counts, the
/// search and filter, and the unreadable files.
fn status_line(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    if let Some(message) = &app.message {
        let style = if app.message_error {
            theme.priority_high
        } else {
            theme.message
        };
        let room = (area.width as usize).saturating_sub(2);
        spans.push(Span::styled(format!(" {} ", fit(message, room)), style));
        spans.push(Span::raw("·"));
    }
    if let Some(busy) = &app.busy {
        spans.push(Span::styled(
            format!(" {} {busy} ", SPINNER[app.spinner % SPINNER.len()]),
            theme.message,
        ));
    }
    let shown = app.cards.visible_len();
    let total = app.cards.total_len();
    let cards = |n: usize| format!("{n} {}", plural(n, "card", "cards"));
    let counts = if shown == total || app.cards.totals.is_some() {
        format!(" {}", cards(total))
    } else {
        format!(" {shown} of {}", cards(total))
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
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status_line),
        area,
    );
}

/// `text` in `width` columns: as it is when it fits, else with its longest path (a word with
/// a `/`) shortened in the middle, so the reason after it stays readable; cut at the end as a
/// last resort.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let len = text.width();
    if len <= width {
        return text.to_string();
    }
    let excess = len - width + 1;
    let path = text
        .split(' ')
        .filter(|w| w.contains('/'))
        .max_by_key(|w| w.chars().count());
    if let Some(path) = path {
        let chars: Vec<char> = path.chars().collect();
        if chars.len() > excess + 8 {
            let keep = chars.len() - excess;
            let head: String = chars[..keep / 2].iter().collect();
            let tail: String = chars[chars.len() - (keep - keep / 2)..].iter().collect();
            return text.replacen(path, &format!("{head}…{tail}"), 1);
        }
    }
    truncate(text, width)
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
