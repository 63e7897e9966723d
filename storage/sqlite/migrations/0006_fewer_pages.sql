-- Placeholder for migration 0006 (fewer pages per write), which is being
-- written alongside under this same name: it keeps the numbering without
-- gaps and changes nothing. When the two meet in a merge, keep the real
-- migration.
SELECT 1;
