DROP VIEW IF EXISTS tack.cards_per_label;
DROP VIEW IF EXISTS tack.cards_per_assignee;
DROP VIEW IF EXISTS tack.cards_per_status;
DROP TABLE IF EXISTS tack.sync_state;
DROP TABLE IF EXISTS tack.problems;
DROP TABLE IF EXISTS tack.items;
