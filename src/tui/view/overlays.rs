//! The help overlay (generated from the keymap table, with a legend of the card glyphs) and
//! the problems view.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::{App, Context};
use crate::tui::theme::Theme;

/// What the card glyphs mean, shown under the bindings.
const LEGEND: &[(&str, &str)] = &[
    ("▲ ■ ▼", "priority: high, middle, low of the layout's scale"),
    ("⊘", "blocked: the card has dependencies"),
    ("↑ID", "the card's parent"),
];

/// The help's lines, unstyled widths included: one per binding, then the glyph legend. The
/// app scrolls by this count, so the last binding can always be reached.
pub fn help_lines(app: &App) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = app
        .keymap
        .help_rows()
        .into_iter()
        .map(|(keys, help)| (keys, help.to_string()))
        .collect();
    lines.push((String::new(), String::new()));
    lines.extend(LEGEND.iter().map(|(g, m)| (g.to_string(), m.to_string())));
    lines
}

/// The help as drawn, and the popup's width for a screen `area_width` wide: wide enough for
/// the longest line, never wider than the screen (longer lines wrap).
pub fn help_text(app: &App, theme: &Theme, area_width: u16) -> (Paragraph<'static>, u16) {
    let rows = help_lines(app);
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(area_width as usize / 3);
    let widest = rows
        .iter()
        .map(|(_, h)| h.chars().count())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line<'static>> = rows
        .into_iter()
        .map(|(keys, help)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<key_width$}  "), theme.key),
                Span::raw(help),
            ])
        })
        .collect();
    let width = (key_width + widest + 5).min(area_width as usize) as u16;
    let paragraph = Paragraph::new(lines)
        .style(theme.base)
        .wrap(Wrap { trim: false });
    (paragraph, width)
}

pub fn help(app: &App, scroll: u16, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (paragraph, width) = help_text(app, theme, area.width);
    let height = app.help_height().min(area.height);
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
    let more = if scroll < app.help_max_scroll() {
        " ↓ more"
    } else {
        ""
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(
            format!(" keys (j/k scroll, Esc closes){more} "),
            theme.column_header_focused,
        ));
    frame.render_widget(paragraph.block(block).scroll((scroll, 0)), popup);
}

/// The files that are not cards, one selectable entry each: the path and line, then the
/// reason wrapped to the width so it is readable at any size. `E` opens the selected one in
/// the editor at its line.
pub fn problems(
    app: &App,
    selected: usize,
    context: Option<&Context>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let n = app.problems.len();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(
            format!(
                " {n} {} could not be read · E opens it at the line ",
                crate::tui::app::plural(n, "file", "files")
            ),
            theme.column_header_focused,
        ));
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    if app.problems.is_empty() {
        lines.push(Line::styled("every file reads as a card", theme.dim));
    }
    for (i, p) in app.problems.iter().enumerate() {
        let at = match p.line {
            Some(line) => format!("{}:{line}", p.path),
            None => p.path.clone(),
        };
        let style = if i == selected {
            selected_line = lines.len();
            theme.card_focused
        } else {
            Style::default()
        };
        let marker = if i == selected { "▸ " } else { "  " };
        lines.push(
            Line::from(vec![
                Span::styled(marker, theme.key),
                Span::styled(at, theme.card_id),
            ])
            .style(style),
        );
        lines.push(Line::from(format!("    {}", p.message)));
        if let Some(context) = context.filter(|c| i == selected && c.path == p.path) {
            lines.extend(context_lines(context, p.line, theme));
        }
    }
    // Keep the selected entry in view.
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = (selected_line + 2).saturating_sub(visible) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The file's lines around the problem, numbered, the problem's own line marked.
fn context_lines(context: &Context, line: Option<u32>, theme: &Theme) -> Vec<Line<'static>> {
    context
        .lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let n = context.first_line + i as u32;
            let here = Some(n) == line;
            Line::from(vec![
                Span::styled(
                    format!("    {}{n:>5} │ ", if here { "▶" } else { " " }),
                    if here { theme.priority_high } else { theme.dim },
                ),
                Span::raw(text.clone()),
            ])
        })
        .collect()
}
