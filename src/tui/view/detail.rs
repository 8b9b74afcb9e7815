//! The detail pane: the frontmatter as a table of fields, then the body rendered from Markdown.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;

use crate::tui::app::App;
use crate::tui::markdown;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(detail) = &app.detail else { return };
    let title = match &detail.item {
        Some(item) => format!(" {} · {} ", item.card.id, item.card.title),
        None => format!(" {} ", detail.path),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.column_header_focused));
    let mut text = Text::default();
    match &detail.item {
        None => text.lines.push(Line::styled("loading…", theme.dim)),
        Some(item) => {
            let width = item
                .fields
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0)
                .min(16);
            for (key, value) in &item.fields {
                text.lines.push(Line::from(vec![
                    Span::styled(format!("{key:<width$}  "), theme.dim),
                    Span::raw(field_text(value)),
                ]));
            }
            text.lines.push(Line::styled(
                format!("{:<width$}  {}", "file", detail.path),
                theme.dim,
            ));
            text.lines.push(Line::styled(
                "─".repeat(area.width.saturating_sub(2) as usize),
                theme.border,
            ));
            text.lines
                .extend(markdown::render(&detail.body, theme).lines);
        }
    }
    let paragraph = Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((detail.scroll, 0));
    frame.render_widget(paragraph, area);
}

/// A frontmatter value on one line: lists joined, maps as `k: v`, null as `—`.
fn field_text(value: &Value) -> String {
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
