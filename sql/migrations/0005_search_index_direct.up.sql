-- 0005_search_index_direct.up.sql: new messages go straight into the search index.
--
-- With GIN's "fast update" (the default), the words of each new message were
-- appended to the index's pending list: every session writing a message takes the
-- list's lock in turn, the one that finds it full merges it into the index (a slow
-- answer for that person), and every search reads through what is pending. With
-- many people posting at once, putting the words into the index directly cost
-- PostgreSQL about 8% less per post (bench/README.md), and searches no
-- longer read a pending list.

ALTER INDEX messages_content_fts_idx SET (fastupdate = off);

-- Turning it off leaves what is already pending in the list: merge that now.
SELECT gin_clean_pending_list('messages_content_fts_idx'::regclass);
