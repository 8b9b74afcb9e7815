//! The list view: a table of the cards the board shows, one row each, sorted by the column
//! marked in the header.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use ratatui::Frame;

use super::truncate;
use crate::tui::app::App;
use crate::tui::list::{Column, ListView};
use crate::tui::theme::Theme;

pub fn render(app: &App, list: &ListView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let header = Row::new(Column::ALL.iter().map(|c| {
        let mark = match (*c == list.sort, list.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        Cell::from(Span::styled(
            format!("{}{mark}", c.name()),
            theme.column_header,
        ))
    }));
    let page = app.list_page();
    let rows = list
        .rows
        .iter()
        .enumerate()
        .skip(list.scroll)
        .take(page)
        .filter_map(|(i, slot)| Some((i, app.cards.card(*slot)?)))
        .map(|(i, card)| {
            let style = if i == list.selected {
                theme.card_focused
            } else {
                Style::default()
            };
            let labels: Vec<String> = card.labels.iter().map(|l| format!("#{l}")).collect();
            Row::new(vec![
                Cell::from(Span::styled(card.id.to_string(), theme.card_id)),
                Cell::from(card.title.to_string()),
                Cell::from(card.status.to_string()),
                Cell::from(card.priority.as_deref().unwrap_or("").to_string()),
                Cell::from(Span::styled(card.assignees.join(", "), theme.assignee)),
                Cell::from(Span::styled(labels.join(" "), theme.label)),
                Cell::from(card.updated.as_deref().unwrap_or("").to_string()),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Length(14),
        Constraint::Fill(3),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(16),
    ];
    let n = list.rows.len();
    let title = Line::from(vec![Span::styled(
        truncate(
            &format!(
                " {n} {} · o sort · O reverse · v board ",
                crate::tui::app::plural(n, "card", "cards")
            ),
            area.width.saturating_sub(2) as usize,
        ),
        theme.column_header_focused,
    )]);
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focused)
                .title(title),
        );
    frame.render_widget(table, area);
}
