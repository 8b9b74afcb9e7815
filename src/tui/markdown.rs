//! A card body, parsed by comrak and walked into ratatui lines: headings, emphasis, lists,
//! task-list checkboxes, code blocks, links, block quotes and rules. Wrapping is left to the
//! `Paragraph` that shows it.

use comrak::nodes::{AstNode, ListType, NodeValue};
use comrak::{parse_document, Arena, Options};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};

use super::theme::Theme;

/// Render Markdown `source` for the detail pane.
pub fn render(source: &str, theme: &Theme) -> Text<'static> {
    let arena = Arena::new();
    let mut options = Options::default();
    options.extension.tasklist = true;
    options.extension.strikethrough = true;
    options.extension.table = true;
    let root = parse_document(&arena, source, &options);
    let mut r = Renderer {
        theme,
        lines: Vec::new(),
        current: Vec::new(),
        prefix: Vec::new(),
        style: Vec::new(),
    };
    r.block(root);
    r.flush();
    while r.lines.last().is_some_and(|l| l.spans.is_empty()) {
        r.lines.pop();
    }
    Text::from(r.lines)
}

struct Renderer<'t> {
    theme: &'t Theme,
    lines: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    /// What starts each line inside quotes and list items (`│ `, indentation).
    prefix: Vec<Span<'static>>,
    /// Inline styles in force (emphasis inside a link inside a heading…).
    style: Vec<Style>,
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.style
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    fn push_text(&mut self, text: &str) {
        if self.current.is_empty() {
            self.current.extend(self.prefix.iter().cloned());
        }
        let style = self.style();
        self.current.push(Span::styled(text.to_string(), style));
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            let spans = std::mem::take(&mut self.current);
            self.lines.push(Line::from(spans));
        }
    }

    fn blank(&mut self) {
        self.flush();
        if self.lines.last().is_some_and(|l| !l.spans.is_empty()) {
            self.lines.push(Line::default());
        }
    }

    fn children<'a>(&mut self, node: &'a AstNode<'a>) {
        for child in node.children() {
            self.block(child);
        }
    }

    fn with_style<'a>(&mut self, style: Style, node: &'a AstNode<'a>) {
        self.style.push(style);
        self.children(node);
        self.style.pop();
    }

    fn block<'a>(&mut self, node: &'a AstNode<'a>) {
        let value = node.data().value.clone();
        match value {
            NodeValue::Document => self.children(node),
            NodeValue::FrontMatter(_) => {}
            NodeValue::Heading(h) => {
                self.blank();
                let marker = "#".repeat(h.level as usize);
                self.style.push(self.theme.heading);
                self.push_text(&format!("{marker} "));
                self.children(node);
                self.style.pop();
                self.flush();
                self.lines.push(Line::default());
            }
            NodeValue::Paragraph => {
                self.children(node);
                self.flush();
                if !self.in_tight_list(node) {
                    self.lines.push(Line::default());
                }
            }
            NodeValue::Text(text) => self.push_text(&text),
            NodeValue::SoftBreak => self.push_text(" "),
            NodeValue::LineBreak => self.flush(),
            NodeValue::Emph => {
                self.with_style(Style::default().add_modifier(Modifier::ITALIC), node)
            }
            NodeValue::Strong => {
                self.with_style(Style::default().add_modifier(Modifier::BOLD), node)
            }
            NodeValue::Strikethrough => {
                self.with_style(Style::default().add_modifier(Modifier::CROSSED_OUT), node)
            }
            NodeValue::Code(code) => {
                self.style.push(self.theme.code);
                self.push_text(&code.literal);
                self.style.pop();
            }
            NodeValue::Link(link) => {
                self.with_style(self.theme.link, node);
                let url = link.url.clone();
                self.style.push(self.theme.dim);
                self.push_text(&format!(" <{url}>"));
                self.style.pop();
            }
            NodeValue::Image(link) => {
                let url = link.url.clone();
                self.push_text("[image: ");
                self.children(node);
                self.push_text(&format!("] <{url}>"));
            }
            NodeValue::CodeBlock(block) => {
                self.blank();
                let lang = block
                    .info
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                self.style.push(self.theme.dim);
                self.push_text(&format!("```{lang}"));
                self.style.pop();
                self.flush();
                for line in block.literal.lines() {
                    self.style.push(self.theme.code);
                    self.push_text(&format!("  {line}"));
                    self.style.pop();
                    self.flush();
                }
                self.style.push(self.theme.dim);
                self.push_text("```");
                self.style.pop();
                self.flush();
                self.lines.push(Line::default());
            }
            NodeValue::HtmlBlock(html) => {
                // Backlog.md marks sections with HTML comments; they are noise when reading.
                let text = html.literal.trim();
                if !(text.starts_with("<!--") && text.ends_with("-->")) {
                    self.style.push(self.theme.dim);
                    for line in text.lines() {
                        self.push_text(line);
                        self.flush();
                    }
                    self.style.pop();
                }
            }
            NodeValue::HtmlInline(html) => {
                if !html.starts_with("<!--") {
                    self.push_text(&html);
                }
            }
            NodeValue::BlockQuote => {
                self.flush();
                self.prefix.push(Span::styled("│ ", self.theme.dim));
                self.style.push(self.theme.dim);
                self.children(node);
                self.style.pop();
                self.prefix.pop();
            }
            NodeValue::ThematicBreak => {
                self.blank();
                self.lines
                    .push(Line::styled("────────────────", self.theme.dim));
                self.lines.push(Line::default());
            }
            NodeValue::List(_) => {
                self.flush();
                self.children(node);
                if node
                    .parent()
                    .is_some_and(|p| matches!(p.data().value, NodeValue::Document))
                {
                    self.lines.push(Line::default());
                }
            }
            NodeValue::Item(list) => {
                let marker = match list.list_type {
                    ListType::Bullet => "• ".to_string(),
                    ListType::Ordered => {
                        format!("{}. ", list_start(node) + item_position(node))
                    }
                };
                self.list_item(node, Span::raw(marker));
            }
            NodeValue::TaskItem(task) => {
                let (mark, style) = match task.symbol {
                    Some(_) => ("[x] ", self.theme.done),
                    None => ("[ ] ", Style::default()),
                };
                self.list_item(node, Span::styled(mark, style));
            }
            NodeValue::Table(_) => {
                self.flush();
                self.table(node);
            }
            _ => self.children(node),
        }
    }

    /// A table with its columns aligned: every cell rendered first, each column as wide as
    /// its widest cell, a rule under the header row.
    fn table<'a>(&mut self, node: &'a AstNode<'a>) {
        use unicode_width::UnicodeWidthStr;
        let prefix = std::mem::take(&mut self.prefix);
        let rows: Vec<Vec<Vec<Span<'static>>>> = node
            .children()
            .map(|row| {
                row.children()
                    .map(|cell| {
                        self.children(cell);
                        std::mem::take(&mut self.current)
                    })
                    .collect()
            })
            .collect();
        self.prefix = prefix;
        let width = |spans: &[Span]| spans.iter().map(|s| s.content.width()).sum::<usize>();
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| width(cell))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let border = self.theme.border;
        for (i, row) in rows.into_iter().enumerate() {
            let mut line: Vec<Span<'static>> = self.prefix.clone();
            for (c, w) in widths.iter().enumerate() {
                line.push(Span::styled("│ ", border));
                let cell = row.get(c).cloned().unwrap_or_default();
                let pad = w - width(&cell);
                line.extend(cell);
                line.push(Span::raw(" ".repeat(pad + 1)));
            }
            line.push(Span::styled("│", border));
            self.lines.push(Line::from(line));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
                let mut line = self.prefix.clone();
                line.push(Span::styled(format!("├{}┤", rule.join("┼")), border));
                self.lines.push(Line::from(line));
            }
        }
        self.lines.push(Line::default());
    }

    /// A list item: its marker on the first line, its children indented under it.
    fn list_item<'a>(&mut self, node: &'a AstNode<'a>, marker: Span<'static>) {
        self.flush();
        let indent = " ".repeat(marker.content.chars().count());
        self.current.extend(self.prefix.iter().cloned());
        self.current.push(marker);
        self.prefix.push(Span::raw(indent));
        self.children(node);
        self.prefix.pop();
        self.flush();
    }

    fn in_tight_list<'a>(&self, node: &'a AstNode<'a>) -> bool {
        node.parent()
            .and_then(|item| item.parent())
            .is_some_and(|list| matches!(&list.data().value, NodeValue::List(l) if l.tight))
    }
}

/// The number an ordered list starts at, read from the list (each item carries its own copy,
/// which comrak does not keep equal to the list's).
fn list_start<'a>(item: &'a AstNode<'a>) -> usize {
    match item.parent().map(|p| p.data().value.clone()) {
        Some(NodeValue::List(list)) => list.start,
        _ => 1,
    }
}

/// How many list items come before `node` in its list.
fn item_position<'a>(node: &'a AstNode<'a>) -> usize {
    std::iter::successors(node.previous_sibling(), |n| n.previous_sibling()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &Text<'_>) -> Vec<String> {
        text.lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn tables_are_aligned_with_a_rule_under_the_header() {
        let text = render(
            "| a | longer |\n|---|---|\n| wide cell | x |\n",
            &Theme::plain(),
        );
        let lines: Vec<String> = text
            .lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(lines[0], "│ a         │ longer │");
        assert_eq!(lines[1], "├───────────┼────────┤");
        assert_eq!(lines[2], "│ wide cell │ x      │");
    }

    #[test]
    fn renders_the_common_block_kinds() {
        let md = "# Title\n\nSome *em* and **strong** and `code`.\n\n- [ ] open\n- [x] done\n\n1. one\n2. two\n3. three\n\n> quoted\n\n```rust\nfn main() {}\n```\n\n[link](https://x.org)\n";
        let lines = plain(&render(md, &Theme::dark()));
        assert_eq!(lines[0], "# Title");
        assert!(
            lines.contains(&"Some em and strong and code.".to_string()),
            "{lines:?}"
        );
        assert!(lines.contains(&"[ ] open".to_string()), "{lines:?}");
        assert!(lines.contains(&"[x] done".to_string()), "{lines:?}");
        assert!(lines.contains(&"1. one".to_string()), "{lines:?}");
        assert!(lines.contains(&"2. two".to_string()), "{lines:?}");
        assert!(lines.contains(&"3. three".to_string()), "{lines:?}");
        assert!(lines.contains(&"│ quoted".to_string()), "{lines:?}");
        assert!(lines.contains(&"  fn main() {}".to_string()), "{lines:?}");
        assert!(
            lines.contains(&"link <https://x.org>".to_string()),
            "{lines:?}"
        );
    }

    #[test]
    fn backlog_md_section_comments_are_hidden() {
        let md = "## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nText here.\n<!-- SECTION:DESCRIPTION:END -->\n";
        let lines = plain(&render(md, &Theme::dark()));
        assert!(lines.iter().all(|l| !l.contains("SECTION")), "{lines:?}");
    }
}
