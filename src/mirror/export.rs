//! `tack export --json` / `tack import --json FILE`: a backlog as one JSON document, so it can
//! move between machines and tools. Import writes Markdown files through the writer, never a
//! database: the files stay the only truth, and the index follows them as always.

use std::path::Path;

use color_eyre::eyre::{eyre, Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::error::UsageError;
use crate::index::Filter;
use crate::item::{self, Fields, Item};
use crate::layout::NewFile;
use crate::session::Session;
use crate::writer::WriteError;

/// Bumped when the document changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Document {
    pub tack_export: u32,
    /// `Backlog.md` or `kano`: paths only make sense in the same layout.
    pub layout: String,
    pub items: Vec<Exported>,
    /// Files that are not cards, for the reader's information; import ignores them.
    #[serde(default)]
    pub problems: Vec<serde_json::Value>,
}

/// One card: the card fields (for readers), the whole frontmatter, and the exact text.
#[derive(Debug, Serialize, Deserialize)]
pub struct Exported {
    pub path: String,
    /// The card as tack reads it (id, title, status, labels, …); informational on import.
    #[serde(default)]
    pub card: serde_json::Value,
    /// Every frontmatter key, parsed.
    #[serde(default)]
    pub fields: Fields,
    /// The file's beginning up to the body, byte for byte (BOM, delimiters, YAML, comments):
    /// `frontmatter + body` is the file. Absent in documents written by other tools, in which
    /// case import writes `fields` as YAML.
    #[serde(default)]
    pub frontmatter: Option<String>,
    pub body: String,
}

/// `tack export --json`.
pub fn export(dir: &Path) -> Result<()> {
    let session = Session::open(dir)?;
    let cards = session.index.cards(&session.backlog, &Filter::default())?;
    let mut items = Vec::with_capacity(cards.len());
    for card in cards {
        let Some((item, _)) = session.index.item_at(&card.path)? else {
            continue;
        };
        let abs = session.backlog.abs(&card.path);
        let bytes =
            std::fs::read(&abs).wrap_err_with(|| format!("cannot read {}", abs.display()))?;
        let text = item::decode(&bytes).map_err(|(_, m)| eyre!("{}: {m}", card.path))?;
        let split = session
            .backlog
            .split(text)
            .map_err(|e| eyre!("{}: {}", card.path, e.message))?;
        let head_len = text.len() - split.body.len();
        let Item { card, fields } = item;
        items.push(Exported {
            path: card.path.clone(),
            card: serde_json::to_value(&card)?,
            fields,
            frontmatter: Some(text[..head_len].to_string()),
            body: split.body.to_string(),
        });
    }
    let doc = Document {
        tack_export: FORMAT_VERSION,
        layout: session.backlog.kind.name().to_string(),
        items,
        problems: session
            .index
            .problems()?
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()?,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut out, &doc)?;
    use std::io::Write;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// The file text an exported item stands for.
fn file_text(item: &Exported) -> String {
    if let Some(head) = &item.frontmatter {
        return format!("{head}{}", item.body);
    }
    // JSON is valid YAML, so each key and value written as JSON reads back as the same data.
    let mut text = String::from("---\n");
    for (key, value) in &item.fields {
        let key = serde_json::to_string(key).unwrap_or_else(|_| "\"\"".into());
        text.push_str(&format!("{key}: {value}\n"));
    }
    text.push_str("---\n");
    text.push_str(&item.body);
    text
}

/// `tack import --json FILE` (`-` reads stdin).
pub fn import(dir: &Path, file: &Path) -> Result<()> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(file).wrap_err_with(|| format!("cannot read {}", file.display()))?
    };
    let doc: Document = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{} is not a tack export: {e}", file.display())))?;
    if doc.tack_export != FORMAT_VERSION {
        return Err(UsageError(format!(
            "{} is export format {}, this tack reads {FORMAT_VERSION}",
            file.display(),
            doc.tack_export
        ))
        .into());
    }
    let mut session = Session::open(dir)?;
    if doc.layout != session.backlog.kind.name() {
        return Err(UsageError(format!(
            "the export is of a {} backlog and this one is {}; tack does not convert layouts",
            doc.layout,
            session.backlog.kind.name()
        ))
        .into());
    }
    let (mut created, mut same, mut refused) = (0usize, 0usize, 0usize);
    for item in &doc.items {
        let text = file_text(item);
        if !session.backlog.is_item_path(&item.path) {
            eprintln!(
                "tack: {}: not a card path in this backlog; skipped",
                item.path
            );
            refused += 1;
            continue;
        }
        let new = NewFile {
            path: item.path.clone(),
            text,
        };
        match session.create_file(&new) {
            Ok(_) => created += 1,
            Err(WriteError::Exists { .. }) => {
                let existing = std::fs::read(session.backlog.abs(&item.path)).unwrap_or_default();
                if existing == new.text.as_bytes() {
                    same += 1;
                } else {
                    eprintln!(
                        "tack: {}: exists with other content; not overwritten",
                        item.path
                    );
                    refused += 1;
                }
            }
            Err(err) => {
                eprintln!("tack: {err}");
                refused += 1;
            }
        }
    }
    println!("imported {created} cards, {same} already present, {refused} not imported");
    if refused > 0 {
        return Err(WriteError::Refused {
            path: file.display().to_string(),
            message: format!("{refused} cards were not imported (see above)"),
        }
        .into());
    }
    Ok(())
}
