//! tack: a keyboard-driven kanban board over Markdown backlogs.
//!
//! Data flows one way: files → [`layout`] → [`index`] → board / CLI. Edits go through the one
//! [`writer`] back to the files, and come back to the board through the watcher like any other
//! change.

pub mod backend;
pub mod cli;
pub mod demo;
pub mod edit;
pub mod error;
pub mod filter;
pub mod index;
pub mod item;
pub mod layout;
pub mod mirror;
pub mod progress;
pub mod session;
pub mod tui;
pub mod watch;
pub mod writer;
