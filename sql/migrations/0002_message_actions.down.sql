-- 0002_message_actions.down.sql: removes the columns 0002_message_actions.up.sql added.

ALTER TABLE messages
	DROP COLUMN writer_seen_at,
	DROP COLUMN stop_requested,
	DROP COLUMN actions;
