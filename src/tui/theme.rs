//! Colours. A dark and a light theme, and a colourless one when `NO_COLOR` is set
//! (<https://no-color.org>): focus and headings then use reverse video and bold only.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub base: Style,
    pub title_bar: Style,
    pub column_header: Style,
    pub column_header_focused: Style,
    pub border: Style,
    pub border_focused: Style,
    pub card_id: Style,
    pub card_focused: Style,
    pub label: Style,
    pub assignee: Style,
    pub marker: Style,
    pub priority_high: Style,
    pub priority_medium: Style,
    pub priority_low: Style,
    pub status_line: Style,
    pub message: Style,
    pub heading: Style,
    pub code: Style,
    pub link: Style,
    pub dim: Style,
    pub done: Style,
    pub key: Style,
    pub search_match: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            base: Style::default(),
            title_bar: Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            column_header: Style::default()
                .fg(Color::Gray)
                .add_modifier(Modifier::BOLD),
            column_header_focused: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::DarkGray),
            border_focused: Style::default().fg(Color::Cyan),
            card_id: Style::default().fg(Color::Yellow),
            card_focused: Style::default().bg(Color::Rgb(40, 52, 70)),
            label: Style::default().fg(Color::Magenta),
            assignee: Style::default().fg(Color::Green),
            marker: Style::default().fg(Color::LightBlue),
            priority_high: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            priority_medium: Style::default().fg(Color::Yellow),
            priority_low: Style::default().fg(Color::DarkGray),
            status_line: Style::default().fg(Color::Gray).bg(Color::Rgb(30, 30, 30)),
            message: Style::default()
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            heading: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            code: Style::default().fg(Color::LightYellow),
            link: Style::default()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::UNDERLINED),
            dim: Style::default().fg(Color::DarkGray),
            done: Style::default().fg(Color::Green),
            key: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            search_match: Style::default()
                .fg(Color::LightYellow)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }

    pub fn light() -> Theme {
        Theme {
            title_bar: Style::default()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            column_header: Style::default()
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            column_header_focused: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::Gray),
            border_focused: Style::default().fg(Color::Blue),
            card_id: Style::default().fg(Color::Rgb(150, 90, 0)),
            card_focused: Style::default().bg(Color::Rgb(215, 228, 245)),
            label: Style::default().fg(Color::Magenta),
            assignee: Style::default().fg(Color::Rgb(0, 120, 0)),
            marker: Style::default().fg(Color::Blue),
            priority_low: Style::default().fg(Color::Gray),
            status_line: Style::default()
                .fg(Color::Black)
                .bg(Color::Rgb(225, 225, 225)),
            message: Style::default()
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            heading: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            code: Style::default().fg(Color::Rgb(160, 60, 0)),
            link: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::UNDERLINED),
            dim: Style::default().fg(Color::Gray),
            key: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            search_match: Style::default()
                .fg(Color::Red)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ..Theme::dark()
        }
    }

    /// No colours at all, only modifiers.
    pub fn plain() -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            base: Style::default(),
            title_bar: Style::default().add_modifier(Modifier::REVERSED),
            column_header: bold,
            column_header_focused: bold.add_modifier(Modifier::UNDERLINED),
            border: Style::default(),
            border_focused: bold,
            card_id: bold,
            card_focused: Style::default().add_modifier(Modifier::REVERSED),
            label: Style::default(),
            assignee: Style::default(),
            marker: Style::default(),
            priority_high: bold,
            priority_medium: Style::default(),
            priority_low: Style::default(),
            status_line: Style::default().add_modifier(Modifier::REVERSED),
            message: bold,
            heading: bold,
            code: Style::default(),
            link: Style::default().add_modifier(Modifier::UNDERLINED),
            dim: Style::default(),
            done: Style::default(),
            key: bold,
            search_match: Style::default().add_modifier(Modifier::UNDERLINED),
        }
    }

    /// A configured theme name that is not one of ours, as a config warning.
    pub fn check_name(name: Option<&str>) -> Option<String> {
        match name {
            None | Some("dark" | "light") => None,
            Some(other) => Some(format!(
                "config: unknown theme `{other}` (themes: dark, light); using dark"
            )),
        }
    }

    /// The theme asked for by name (`dark`, `light`), unless `NO_COLOR` is set.
    pub fn select(name: Option<&str>, no_color: bool) -> Theme {
        if no_color {
            return Theme::plain();
        }
        match name {
            Some("light") => Theme::light(),
            _ => Theme::dark(),
        }
    }
}
