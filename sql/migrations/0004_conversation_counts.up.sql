-- 0004_conversation_counts.up.sql: each conversation keeps its message count and last message time.
--
-- Conversation lists show how many messages each conversation has and when the
-- last one was written. Counting them on every list cost more than the rest of
-- the page and grew with the conversations' length, so the two figures are now
-- columns, kept by triggers on messages in the same statement as any insert,
-- delete or move of messages, whoever makes it (the application, an operator's
-- SQL), and filled in here for the conversations that exist.
--
-- Keeping them must not make a conversation look recently active, so
-- conversations_touch now fires only for updates that name one of the other
-- columns (list new columns there when a later migration adds any).

DROP TRIGGER conversations_touch ON conversations;
CREATE TRIGGER conversations_touch
	BEFORE UPDATE OF id, user_id, title, default_model, created_at, updated_at
	ON conversations
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();

ALTER TABLE conversations
	ADD COLUMN message_count integer NOT NULL DEFAULT 0,
	ADD COLUMN last_message_at timestamptz;

UPDATE conversations c SET message_count = m.n, last_message_at = m.last
	FROM (SELECT conversation_id, count(*) AS n, max(created_at) AS last
	      FROM messages GROUP BY conversation_id) m
	WHERE m.conversation_id = c.id;

-- Once per statement, however many messages it inserted. A new message is
-- activity, so updated_at moves too, to the newest message's time (the
-- application did that itself before, in a statement of its own); a message
-- written with an earlier time (an import, the demo data) does not make the
-- conversation look active now.
CREATE FUNCTION parley_messages_counted_in() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE conversations c
		SET message_count = c.message_count + n.n,
		    last_message_at = greatest(c.last_message_at, n.last),
		    updated_at = greatest(c.updated_at, n.last)
		FROM (SELECT conversation_id, count(*) AS n, max(created_at) AS last
		      FROM parley_new_messages GROUP BY conversation_id) n
		WHERE c.id = n.conversation_id;
	RETURN NULL;
END;
$$;

-- The last message time is looked up again only when the newest message went.
-- A conversation being deleted is no longer there to update.
CREATE FUNCTION parley_messages_counted_out() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE conversations c
		SET message_count = greatest(c.message_count - n.n, 0),
		    last_message_at = CASE WHEN n.last < c.last_message_at THEN c.last_message_at
			ELSE (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id) END
		FROM (SELECT conversation_id, count(*) AS n, max(created_at) AS last
		      FROM parley_old_messages GROUP BY conversation_id) n
		WHERE c.id = n.conversation_id;
	RETURN NULL;
END;
$$;

-- A message moved to another conversation, or given another time (nothing in
-- Parley does either): both conversations are counted again.
CREATE FUNCTION parley_messages_recounted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE conversations c
		SET message_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id),
		    last_message_at = (SELECT max(m.created_at) FROM messages m
			WHERE m.conversation_id = c.id)
		WHERE c.id IN (OLD.conversation_id, NEW.conversation_id);
	RETURN NULL;
END;
$$;

CREATE TRIGGER messages_counted_in AFTER INSERT ON messages
	REFERENCING NEW TABLE AS parley_new_messages
	FOR EACH STATEMENT EXECUTE FUNCTION parley_messages_counted_in();
CREATE TRIGGER messages_counted_out AFTER DELETE ON messages
	REFERENCING OLD TABLE AS parley_old_messages
	FOR EACH STATEMENT EXECUTE FUNCTION parley_messages_counted_out();
CREATE TRIGGER messages_recounted AFTER UPDATE OF conversation_id, created_at ON messages
	FOR EACH ROW
	WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id
	      OR OLD.created_at IS DISTINCT FROM NEW.created_at)
	EXECUTE FUNCTION parley_messages_recounted();
