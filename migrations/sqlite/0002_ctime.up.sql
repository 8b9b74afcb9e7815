-- Change detection also compares the inode change time: `chmod`, `chown` and a rename that
-- keeps size and mtime (a file made unreadable after it was indexed) change only the ctime.
-- Existing rows get 0, so every file is re-read once after the upgrade.
ALTER TABLE files ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT 0;
