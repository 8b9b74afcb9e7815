//! Text prompts: what a prompt is for, and its line editor. Editing is tui-input's (cursor,
//! word moves, deletes, kills, grapheme-aware); which key does what comes from the one keymap,
//! so the help lists the prompt's keys with the rest.

use tui_input::{Input, InputRequest};

use super::keymap::Action;

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Search,
    Filter,
    Title {
        path: String,
    },
    Assignee {
        path: String,
    },
    Labels {
        path: String,
    },
    /// kano with several products shown at once: which product the new card goes to.
    NewCardProduct {
        status: String,
    },
    NewCard {
        status: String,
        product: Option<String>,
    },
}

/// An open prompt: its purpose, its line, and the card version it edits.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub line: Input,
    /// The content hash of the card version the prompt was opened on (from the worker).
    pub base: Option<String>,
    /// The card changed on disk while the prompt was open: saving would overwrite that.
    pub stale: bool,
}

impl Prompt {
    /// A prompt holding `text`, the cursor at its end.
    pub fn new(kind: PromptKind, text: impl Into<String>) -> Prompt {
        Prompt {
            kind,
            line: Input::new(text.into()),
            base: None,
            stale: false,
        }
    }

    pub fn text(&self) -> &str {
        self.line.value()
    }

    /// The card the prompt edits, if it edits one.
    pub fn card_path(&self) -> Option<&str> {
        match &self.kind {
            PromptKind::Title { path }
            | PromptKind::Assignee { path }
            | PromptKind::Labels { path } => Some(path),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self.kind {
            PromptKind::Search => "/",
            PromptKind::Filter => {
                "filter (label: assignee: priority: type: status: product:; a,b  -key:x  key:none) "
            }
            PromptKind::Title { .. } => "title: ",
            PromptKind::Assignee { .. } => "assignees (comma-separated): ",
            PromptKind::Labels { .. } => "labels (comma-separated): ",
            PromptKind::NewCardProduct { .. } => "new card in product: ",
            PromptKind::NewCard { .. } => "new card title: ",
        }
    }

    /// Apply an editing action; whether the text changed.
    pub fn edit(&mut self, action: Action) -> bool {
        let request = match action {
            Action::CursorLeft => InputRequest::GoToPrevChar,
            Action::CursorRight => InputRequest::GoToNextChar,
            Action::WordLeft => InputRequest::GoToPrevWord,
            Action::WordRight => InputRequest::GoToNextWord,
            Action::LineStart => InputRequest::GoToStart,
            Action::LineEnd => InputRequest::GoToEnd,
            Action::DeleteBack => InputRequest::DeletePrevChar,
            Action::DeleteForward => InputRequest::DeleteNextChar,
            Action::DeleteWordBack => InputRequest::DeletePrevWord,
            Action::KillToEnd => InputRequest::DeleteTillEnd,
            Action::KillToStart => InputRequest::DeleteFromStart,
            _ => return false,
        };
        self.line
            .handle(request)
            .is_some_and(|changed| changed.value)
    }

    /// Type one character at the cursor.
    pub fn insert(&mut self, c: char) {
        self.line.handle(InputRequest::InsertChar(c));
    }

    /// The part of the text that fits in `width` columns, scrolled so the cursor shows, and
    /// the cursor's column within it.
    pub fn visible(&self, width: usize) -> (String, usize) {
        use unicode_width::UnicodeWidthChar;
        let width = width.max(1);
        // Keep one column for the cursor at the end of the text.
        let scroll = self.line.visual_scroll(width.saturating_sub(1));
        let mut column = 0;
        let mut shown = String::new();
        let mut used = 0;
        for c in self.text().chars() {
            let w = c.width().unwrap_or(0);
            if column >= scroll && used + w <= width {
                shown.push(c);
                used += w;
            }
            column += w;
        }
        (shown, self.line.visual_cursor().saturating_sub(scroll))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(text: &str) -> Prompt {
        Prompt::new(PromptKind::Search, text)
    }

    #[test]
    fn the_line_editor_moves_by_words_and_kills_both_ways() {
        let mut p = prompt("alpha beta gamma");
        p.edit(Action::WordLeft);
        p.edit(Action::DeleteWordBack);
        assert_eq!(p.text(), "alpha gamma");
        p.edit(Action::LineStart);
        p.edit(Action::DeleteForward);
        assert_eq!(p.text(), "lpha gamma");
        p.edit(Action::WordRight);
        p.edit(Action::KillToEnd);
        assert_eq!(p.text().trim_end(), "lpha");
        p.edit(Action::KillToStart);
        assert_eq!(p.text(), "");
        p.insert('é');
        p.edit(Action::CursorLeft);
        p.insert('c');
        assert_eq!(p.text(), "cé");
    }

    #[test]
    fn a_long_line_scrolls_to_keep_the_cursor_visible() {
        let p = prompt("0123456789abcdef");
        let (shown, cursor) = p.visible(8);
        assert_eq!(shown, "9abcdef");
        assert_eq!(cursor, 7);
        let mut p = p;
        p.edit(Action::LineStart);
        let (shown, cursor) = p.visible(8);
        assert_eq!(shown, "01234567");
        assert_eq!(cursor, 0);
    }
}
