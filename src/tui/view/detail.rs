//! The detail pane: the card's fields and body, rendered once when the card arrives (see
//! `app::detail_text`), scrolled here.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::Detail;
use crate::tui::theme::Theme;

pub fn render(detail: &Detail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = match &detail.item {
        Some(item) => format!(" {} · {} ", item.card.id, item.card.title),
        None => format!(" {} ", detail.path),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.column_header_focused));
    // A card that stopped being one keeps its last version on screen, under a banner that
    // says what it is now.
    let text = match &detail.gone {
        Some(why) => {
            let mut text = Text::from(Line::styled(
                format!("{} {why} — showing the last version read", detail.path),
                theme.priority_high,
            ));
            text.lines.extend(detail.text.lines.iter().cloned());
            text
        }
        None => detail.text.clone(),
    };
    let paragraph = Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((detail.scroll, 0));
    frame.render_widget(paragraph, area);
}
