//! The board: columns of cards, with the focused card highlighted and each column scrolled
//! on its own.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::tui::app::App;
use crate::tui::cards::BoardCard;
use crate::tui::theme::Theme;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let fit = app.columns_that_fit();
    let first = app
        .col_scroll
        .min(app.cards.columns.len().saturating_sub(1));
    let shown: Vec<usize> = (first..app.cards.columns.len()).take(fit).collect();
    if shown.is_empty() {
        return;
    }
    let areas = Layout::horizontal(vec![Constraint::Fill(1); shown.len()]).split(area);
    for (col, area) in shown.iter().zip(areas.iter()) {
        column(app, theme, frame, *area, *col);
    }
}

fn column(app: &App, theme: &Theme, frame: &mut Frame, area: Rect, col: usize) {
    let focused = col == app.focus_col;
    let name = &app.cards.columns[col];
    let slots = &app.cards.visible[col];
    let more_left = col == app.col_scroll && col > 0;
    let more_right =
        col + 1 == app.col_scroll + app.columns_that_fit() && col + 1 < app.cards.columns.len();
    let title = Line::from(vec![
        Span::raw(if more_left { "‹ " } else { " " }),
        Span::styled(
            name.clone(),
            if focused {
                theme.column_header_focused
            } else {
                theme.column_header
            },
        ),
        Span::styled(format!(" {} ", app.cards.column_count(col)), theme.dim),
        Span::raw(if more_right { "›" } else { "" }),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if slots.is_empty() {
        let hint = if app.loaded {
            "  no cards"
        } else {
            "  loading…"
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim)), inner);
        return;
    }
    let scroll = app.scroll.get(col).copied().unwrap_or(0);
    let focus_row = app.rows.get(col).copied().unwrap_or(0);
    let height = app.card_height();
    let page = app.cards_per_page();
    for (i, (row, slot)) in slots.iter().enumerate().skip(scroll).take(page).enumerate() {
        let Some(card) = app.cards.card(*slot) else {
            continue;
        };
        let area = Rect {
            x: inner.x,
            y: inner.y + i as u16 * height,
            width: inner.width,
            height: height.saturating_sub(1).max(1),
        }
        .intersection(inner);
        let is_focus = focused && row == focus_row;
        if app.compact {
            compact_card(app, theme, frame, area, card, is_focus);
        } else {
            card_widget(app, theme, frame, area, card, is_focus);
        }
    }
    more_marks(
        theme,
        frame,
        area,
        scroll,
        slots.len().saturating_sub(scroll + page),
    );
}

/// `↑ N` / `↓ N` on the column's bottom border: cards above and below what is shown.
fn more_marks(theme: &Theme, frame: &mut Frame, area: Rect, above: usize, below: usize) {
    let mut parts = Vec::new();
    if above > 0 {
        parts.push(format!("↑{above}"));
    }
    if below > 0 {
        parts.push(format!("↓{below}"));
    }
    if parts.is_empty() || area.height < 2 {
        return;
    }
    let text = format!(" {} more ", parts.join(" "));
    let width = (text.chars().count() as u16).min(area.width.saturating_sub(2));
    let mark = Rect {
        x: area.right().saturating_sub(width + 1),
        y: area.bottom() - 1,
        width,
        height: 1,
    };
    frame.render_widget(Paragraph::new(Span::styled(text, theme.dim)), mark);
}

/// One line per card: the priority glyph, the id, the title and the assignees.
fn compact_card(
    app: &App,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    card: &BoardCard,
    focused: bool,
) {
    let width = area.width.saturating_sub(1) as usize;
    let (marker, marker_style) = priority_marker(app, theme, card.priority.as_deref());
    let who = card.assignees.join(", ");
    let who = truncate(&who, (width / 3).min(16));
    let head = format!("{marker}{} ", card.id);
    let room = width.saturating_sub(head.width() + who.width() + 1);
    let title = truncate(&card.title, room);
    let pad = width.saturating_sub(head.width() + title.width() + who.width());
    let bar = if focused { "▌" } else { " " };
    let line = Line::from(vec![
        Span::styled(bar, theme.border_focused),
        Span::styled(marker, marker_style),
        Span::styled(card.id.to_string(), theme.card_id),
        Span::raw(" "),
        Span::raw(title),
        Span::raw(" ".repeat(pad)),
        Span::styled(who, theme.assignee),
    ]);
    let style = if focused {
        theme.card_focused
    } else {
        Style::default()
    };
    frame.render_widget(Paragraph::new(line).style(style), area);
}

fn card_widget(
    app: &App,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    card: &BoardCard,
    focused: bool,
) {
    let width = area.width.saturating_sub(2) as usize;
    let (marker, marker_style) = priority_marker(app, theme, card.priority.as_deref());
    let mut first = vec![
        Span::styled(marker, marker_style),
        Span::styled(card.id.to_string(), theme.card_id),
    ];
    if card.blocked {
        first.push(Span::styled(" ⊘", theme.priority_high));
    }
    if let Some(parent) = &card.parent {
        first.push(Span::styled(format!(" ↑{parent}"), theme.marker));
    }
    if !card.assignees.is_empty() {
        // Every assignee, as room allows.
        let who = card.assignees.join(", ");
        let used: usize = first.iter().map(|s| s.content.width()).sum();
        let name = truncate(&who, width.saturating_sub(used + 1).min(24));
        if !name.is_empty() {
            let pad = width.saturating_sub(used + name.width());
            first.push(Span::raw(" ".repeat(pad)));
            first.push(Span::styled(name, theme.assignee));
        }
    }
    let mut lines = vec![clip_line(first, width)];
    let matched = app.cards.highlights(&card.title);
    let title = wrap_two(&card.title, width);
    lines.extend(highlight_lines(
        &card.title,
        title,
        &matched,
        theme.search_match,
    ));
    while lines.len() < 3 {
        lines.push(Line::default());
    }
    let labels = card
        .labels
        .iter()
        .map(|l| format!("#{l}"))
        .collect::<Vec<_>>()
        .join(" ");
    lines.push(Line::styled(truncate(&labels, width), theme.label));
    let bar = if focused { "▌" } else { " " };
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|mut line| {
            line.spans
                .insert(0, Span::styled(bar, theme.border_focused));
            line
        })
        .collect();
    let style = if focused {
        theme.card_focused
    } else {
        Style::default()
    };
    frame.render_widget(Paragraph::new(lines).style(style), area);
}

/// The wrapped title lines with the search's matched characters styled. `positions` index
/// chars of `title`; each wrapped line is found in the title to know where it starts.
fn highlight_lines(
    title: &str,
    lines: Vec<String>,
    positions: &[usize],
    style: Style,
) -> Vec<Line<'static>> {
    if positions.is_empty() {
        return lines.into_iter().map(Line::from).collect();
    }
    let chars: Vec<char> = title.chars().collect();
    let mut cursor = 0;
    lines
        .into_iter()
        .map(|line| {
            let text = line.trim_end_matches('…');
            let needle: Vec<char> = text.chars().collect();
            let start = (cursor..=chars.len().saturating_sub(needle.len()))
                .find(|&i| chars[i..].starts_with(&needle))
                .unwrap_or(cursor);
            cursor = start + needle.len();
            let spans: Vec<Span<'static>> = line
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    let hit = i < needle.len() && positions.contains(&(start + i));
                    Span::styled(c.to_string(), if hit { style } else { Style::default() })
                })
                .collect();
            Line::from(spans)
        })
        .collect()
}

/// The priority's marker: ▲ high, ■ medium, ▼ low, by its rank in the layout's scale.
fn priority_marker(app: &App, theme: &Theme, priority: Option<&str>) -> (&'static str, Style) {
    let scale = &app.info.priorities;
    let Some(rank) = priority.and_then(|p| scale.iter().position(|s| s.eq_ignore_ascii_case(p)))
    else {
        return ("  ", Style::default());
    };
    match rank * 3 / scale.len().max(1) {
        0 => ("▲ ", theme.priority_high),
        1 => ("■ ", theme.priority_medium),
        _ => ("▼ ", theme.priority_low),
    }
}

/// Cut a line's spans to `width` columns, ending with … when something was cut.
fn clip_line(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut used = 0;
    let mut out = Vec::new();
    for span in spans {
        let w = span.content.width();
        if used + w <= width {
            used += w;
            out.push(span);
        } else {
            let room = width.saturating_sub(used);
            out.push(Span::styled(truncate(&span.content, room), span.style));
            break;
        }
    }
    Line::from(out)
}

/// `text` cut to `width` columns with a trailing … when it does not fit.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + c.to_string().width() + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Word-wrap `text` into at most two lines of `width` columns; the second ends with … if more
/// was left.
pub fn wrap_two(text: &str, width: usize) -> Vec<String> {
    if width == 0 {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if candidate.width() <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        current = word.to_string();
        if lines.len() == 2 {
            break;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > 2 || lines.iter().any(|l| l.width() > width) {
        let overflow = lines.len() > 2;
        lines.truncate(2);
        for (i, line) in lines.iter_mut().enumerate() {
            if line.width() > width || (i == 1 && overflow) {
                let cut = truncate(
                    line,
                    width.saturating_sub(if overflow && i == 1 { 1 } else { 0 }),
                );
                *line = if overflow && i == 1 && !cut.ends_with('…') {
                    format!("{cut}…")
                } else {
                    cut
                };
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_wrap_to_two_lines_then_cut() {
        assert_eq!(wrap_two("short", 10), vec!["short"]);
        assert_eq!(wrap_two("one two three", 7), vec!["one two", "three"]);
        let lines = wrap_two("alpha beta gamma delta epsilon", 11);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(lines.iter().all(|l| l.width() <= 11), "{lines:?}");
    }

    #[test]
    fn search_matches_are_styled_on_the_wrapped_line_they_fall_on() {
        let title = "Rate-limit the login endpoint";
        let lines = wrap_two(title, 14);
        let hit = Style::default().add_modifier(ratatui::style::Modifier::UNDERLINED);
        // "login" starts at char 15, on the second wrapped line.
        let styled = highlight_lines(title, lines, &[15, 16, 17, 18, 19], hit);
        let marked: Vec<String> = styled
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .filter(|s| s.style == hit)
                    .map(|s| s.content.as_ref())
                    .collect()
            })
            .collect();
        assert_eq!(marked, vec!["".to_string(), "login".to_string()]);
    }

    #[test]
    fn long_words_are_cut() {
        let lines = wrap_two("abcdefghijklmnop", 6);
        assert!(lines.iter().all(|l| l.width() <= 6), "{lines:?}");
    }
}
