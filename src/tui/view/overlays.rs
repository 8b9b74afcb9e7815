//! The help overlay (generated from the keymap table) and the problems view.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn help(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = app.keymap.help_rows();
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(keys, help)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<key_width$}  "), theme.key),
                Span::raw(*help),
            ])
        })
        .collect();
    let width = (key_width + 48).min(area.width as usize) as u16;
    let height = (lines.len() as u16 + 2).min(area.height);
    let [_, middle, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, popup, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(middle);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(
            " keys (Esc closes; set your own in config.toml) ",
            theme.column_header_focused,
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.base)
            .scroll((app.help_scroll, 0)),
        popup,
    );
}

pub fn problems(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(
            format!(" {} files could not be read ", app.problems.len()),
            theme.column_header_focused,
        ));
    let lines: Vec<Line> = if app.problems.is_empty() {
        vec![Line::styled("every file reads as a card", theme.dim)]
    } else {
        app.problems
            .iter()
            .map(|p| {
                let at = match p.line {
                    Some(line) => format!("{}:{line}", p.path),
                    None => p.path.clone(),
                };
                Line::from(vec![
                    Span::styled(at, theme.card_id),
                    Span::raw("  "),
                    Span::raw(p.message.clone()),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((app.problems_scroll, 0)),
        area,
    );
}
