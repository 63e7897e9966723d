-- Placeholder for migration 0006, reserved for a change written alongside
-- (on SQLite, fewer pages per write): it keeps the numbering without gaps
-- and changes nothing. Should a real PostgreSQL 0006 arrive, it replaces
-- this file.
SELECT 1;
