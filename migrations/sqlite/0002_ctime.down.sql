ALTER TABLE files DROP COLUMN ctime_ns;
