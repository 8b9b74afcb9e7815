-- tack's derived index of a backlog. Everything here is rebuilt from the Markdown files.

-- One row per file the layout reads as a candidate card: what reconcile needs to see change.
CREATE TABLE files (
    path      TEXT PRIMARY KEY,      -- relative to the backlog root, '/'-separated
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    hash      TEXT NOT NULL,         -- xxh3-128 of the bytes; the writer's conflict check
    is_item   INTEGER NOT NULL       -- 1: a card in items, 0: a row in problems
) WITHOUT ROWID;

CREATE TABLE items (
    path        TEXT PRIMARY KEY,
    key         TEXT NOT NULL,       -- kano uid or Backlog.md id
    id          TEXT NOT NULL,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    type        TEXT,
    priority    TEXT,
    assignee    TEXT,
    parent      TEXT,
    product     TEXT,
    ordinal     REAL,
    created     TEXT,
    updated     TEXT,
    labels      TEXT NOT NULL,       -- JSON array
    assignees   TEXT NOT NULL,       -- JSON array
    blocked_by  TEXT NOT NULL,       -- JSON array
    fields      TEXT NOT NULL        -- the whole frontmatter as JSON, unknown keys included
);
CREATE INDEX items_status   ON items(status, ordinal, id);
CREATE INDEX items_key      ON items(key);
CREATE INDEX items_id       ON items(id COLLATE NOCASE);
CREATE INDEX items_priority ON items(priority);
CREATE INDEX items_type     ON items(type);
CREATE INDEX items_assignee ON items(assignee);
CREATE INDEX items_created  ON items(created);

-- Many-valued fields, one row per value, so a label or assignee filter is an index lookup.
CREATE TABLE item_labels (
    label TEXT NOT NULL,
    path  TEXT NOT NULL,
    PRIMARY KEY (label, path)
) WITHOUT ROWID;
CREATE INDEX item_labels_path ON item_labels(path);

CREATE TABLE item_assignees (
    name TEXT NOT NULL,              -- without a leading '@'
    path TEXT NOT NULL,
    PRIMARY KEY (name, path)
) WITHOUT ROWID;
CREATE INDEX item_assignees_path ON item_assignees(path);

-- Files that could not be read as cards, with the reason.
CREATE TABLE problems (
    path    TEXT PRIMARY KEY,
    line    INTEGER,
    message TEXT NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
