-- 0005_search_index_direct.down.sql: undoes 0005_search_index_direct.up.sql.
--
-- New messages' words go through the search index's pending list again.

ALTER INDEX messages_content_fts_idx RESET (fastupdate);
