-- 0002_message_actions.up.sql: what the assistant did in an answer, and how answers are stopped.
--
-- actions: the task tool calls an answer made, as [{"tool", "note"}, ...]
-- ("Added task: Buy groceries"), shown under the answer.
-- stop_requested: set by "stop" from any worker or host; the answer's writer
-- sees it when it next saves or polls, ends the answer and keeps the text.
-- Only the writer changes status, so an answer is 'stopped' once its text,
-- HTML and responses row are all stored.
-- writer_seen_at: when the writer of a streaming answer last saved or said it
-- is alive (every few seconds); an answer whose writer fell silent (its worker
-- died) can be marked as failed instead of streaming for ever.

ALTER TABLE messages
	ADD COLUMN actions jsonb NOT NULL DEFAULT '[]'
		CONSTRAINT messages_actions_check CHECK (jsonb_typeof(actions) = 'array'),
	ADD COLUMN stop_requested boolean NOT NULL DEFAULT false,
	ADD COLUMN writer_seen_at timestamptz NOT NULL DEFAULT now();
