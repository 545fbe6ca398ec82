-- 0004_conversation_counts.down.sql: undoes 0004_conversation_counts.up.sql.
--
-- Lists count the messages again when they are read.

DROP TRIGGER messages_recounted ON messages;
DROP TRIGGER messages_counted_out ON messages;
DROP TRIGGER messages_counted_in ON messages;
DROP FUNCTION parley_messages_recounted();
DROP FUNCTION parley_messages_counted_out();
DROP FUNCTION parley_messages_counted_in();

ALTER TABLE conversations
	DROP COLUMN last_message_at,
	DROP COLUMN message_count;

DROP TRIGGER conversations_touch ON conversations;
CREATE TRIGGER conversations_touch BEFORE UPDATE ON conversations
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();
