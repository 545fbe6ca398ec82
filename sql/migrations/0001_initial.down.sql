-- 0001_initial.down.sql: removes everything 0001_initial.up.sql created, in reverse order.
--
-- Run by `parley migrate down` inside one transaction. This deletes every
-- account, conversation, task and proposal: it is for development and for
-- undoing a fresh install, not for a database anyone relies on.

DROP TABLE proposal_sections;
DROP TABLE proposal_sessions;
DROP TABLE tasks;
DROP TABLE responses;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE login_attempts;
DROP TABLE api_tokens;
DROP TABLE auth_sessions;
DROP TABLE users;
DROP FUNCTION parley_touch_last_updated();
DROP FUNCTION parley_touch_updated_at();
DROP FUNCTION parley_search_vector(text);
