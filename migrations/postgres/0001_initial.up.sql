-- tack's PostgreSQL mirror of Markdown backlogs. Fed one way from the files by `tack mirror`:
-- any row edited here is overwritten from its file at the next sync. Several backlogs share
-- these tables, told apart by the `backlog` column.

CREATE TABLE tack.items (
    backlog      text        NOT NULL,  -- which backlog: its root path, or the --name given
    path         text        NOT NULL,  -- file path relative to the backlog root, '/'-separated
    key          text        NOT NULL,  -- stable identity: kano uid or Backlog.md id
    id           text        NOT NULL,  -- display id (kano display ids can collide)
    title        text        NOT NULL,
    status       text        NOT NULL,  -- Backlog.md `status`, kano `state`
    type         text,                  -- kano: Task, Bug, Feature, UserStory, Epic
    priority     text,
    assignee     text,                  -- first assignee
    assignees    text[]      NOT NULL DEFAULT '{}',
    labels       text[]      NOT NULL DEFAULT '{}',
    parent       text,
    blocked_by   text[]      NOT NULL DEFAULT '{}',
    product      text,                  -- kano product
    ordinal      double precision,      -- Backlog.md ordinal (order within a column)
    created      text,                  -- as written in the file (a date, sometimes with a time)
    updated      text,
    body         text        NOT NULL,  -- the Markdown after the frontmatter
    frontmatter  jsonb       NOT NULL,  -- every frontmatter key, unknown ones included
    synced_at    timestamptz NOT NULL DEFAULT now(),  -- when tack last wrote this row
    PRIMARY KEY (backlog, path)
);
CREATE INDEX items_key      ON tack.items (backlog, key);
CREATE INDEX items_status   ON tack.items (backlog, status);
CREATE INDEX items_assignee ON tack.items (backlog, assignee);
CREATE INDEX items_labels   ON tack.items USING gin (labels);

-- Files that could not be read as cards, with the reason (as `tack index problems`).
CREATE TABLE tack.problems (
    backlog text NOT NULL,
    path    text NOT NULL,
    line    integer,
    message text NOT NULL,
    PRIMARY KEY (backlog, path)
);

-- One row per backlog: how the last sync went.
CREATE TABLE tack.sync_state (
    backlog            text PRIMARY KEY,
    root               text NOT NULL,
    layout             text NOT NULL,
    last_sync_at       timestamptz,          -- any sync, full or one change
    last_full_sync_at  timestamptz,
    items              integer NOT NULL DEFAULT 0,
    problems           integer NOT NULL DEFAULT 0,
    last_rows_written  bigint  NOT NULL DEFAULT 0,  -- rows inserted, updated or deleted by the last sync
    rows_written       bigint  NOT NULL DEFAULT 0,  -- the same, summed over all syncs
    last_sync_ms       bigint,                       -- wall time of the last sync
    lock_waits         bigint  NOT NULL DEFAULT 0,  -- batches that waited for another writer of this backlog
    last_error         text,                         -- password-free
    last_error_at      timestamptz,
    tack_version       text
);

-- Common questions, ready to query.
CREATE VIEW tack.cards_per_status AS
    SELECT backlog, status, count(*) AS cards
    FROM tack.items
    GROUP BY backlog, status;

CREATE VIEW tack.cards_per_assignee AS
    SELECT i.backlog, coalesce(ltrim(a.name, '@'), '(unassigned)') AS assignee, i.status, count(*) AS cards
    FROM tack.items i
    LEFT JOIN LATERAL unnest(i.assignees) AS a(name) ON true
    GROUP BY i.backlog, coalesce(ltrim(a.name, '@'), '(unassigned)'), i.status;

CREATE VIEW tack.cards_per_label AS
    SELECT i.backlog, l.label, i.status, count(*) AS cards
    FROM tack.items i
    CROSS JOIN LATERAL unnest(i.labels) AS l(label)
    GROUP BY i.backlog, l.label, i.status;
