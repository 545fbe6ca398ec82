-- 0001_initial.up.sql: Parley's schema: accounts, login sessions, chat, tasks, proposals.
--
-- Run by `parley migrate up` inside one transaction (so no BEGIN/COMMIT here).
-- Every owned row cascades from its user, so deleting a user deletes
-- everything that was theirs. Length limits mirror the product's rules; the
-- application checks them first and these are the last line of defence.

-- Keeps updated_at current on every UPDATE that does not set it itself.
CREATE FUNCTION parley_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END;
$$;

-- The same for proposal sections, whose column is called last_updated.
CREATE FUNCTION parley_touch_last_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.last_updated IS NOT DISTINCT FROM OLD.last_updated THEN
		NEW.last_updated := now();
	END IF;
	RETURN NEW;
END;
$$;

-- The text search document of a title or message. Only the first 100,000
-- characters are indexed, so no message is ever too long for a tsvector.
-- Search with parley_search_vector(col) @@ plainto_tsquery('simple', $1).
CREATE FUNCTION parley_search_vector(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT to_tsvector('simple'::regconfig, left(t, 100000))
$$;

--
-- Accounts
--

CREATE TABLE users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email		text NOT NULL
			CONSTRAINT users_email_check
			CHECK (char_length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
	-- Optional; never contains '@', so a login name is an email or a username, never both.
	username	text
			CONSTRAINT users_username_check
			CHECK (char_length(username) BETWEEN 1 AND 64 AND position('@' IN username) = 0),
	name		text NOT NULL
			CONSTRAINT users_name_check
			CHECK (char_length(name) BETWEEN 1 AND 200),
	password_hash	text NOT NULL
			CONSTRAINT users_password_hash_check
			CHECK (char_length(password_hash) BETWEEN 1 AND 512),
	is_active	boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness; look users up with lower(email) = lower($1).
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE TRIGGER users_touch BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();

-- Login sessions: only a hash of the cookie's token is stored.
CREATE TABLE auth_sessions (
	token_hash	text PRIMARY KEY
			CONSTRAINT auth_sessions_token_hash_check
			CHECK (char_length(token_hash) BETWEEN 32 AND 128),
	-- For listing and ending sessions without revealing their hashes.
	id		uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_secret	text NOT NULL
			CONSTRAINT auth_sessions_csrf_secret_check
			CHECK (char_length(csrf_secret) BETWEEN 16 AND 256),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	user_agent	text,
	ip		text,
	CONSTRAINT auth_sessions_expiry_check CHECK (expires_at > created_at)
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expires_idx ON auth_sessions (expires_at);

-- Personal access tokens for the API, hashed like sessions.
CREATE TABLE api_tokens (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL
			CONSTRAINT api_tokens_name_check
			CHECK (char_length(name) BETWEEN 1 AND 100),
	token_hash	text NOT NULL
			CONSTRAINT api_tokens_token_hash_key UNIQUE
			CONSTRAINT api_tokens_token_hash_check
			CHECK (char_length(token_hash) BETWEEN 32 AND 128),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked		boolean NOT NULL DEFAULT false
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Login throttling: recent attempts per login name and per client address.
CREATE TABLE login_attempts (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	login		text NOT NULL		-- the email or username as typed, lower-cased
			CONSTRAINT login_attempts_login_check
			CHECK (char_length(login) <= 320),
	ip		text NOT NULL
			CONSTRAINT login_attempts_ip_check
			CHECK (char_length(ip) <= 128),
	attempted_at	timestamptz NOT NULL DEFAULT now(),
	succeeded	boolean NOT NULL DEFAULT false
);
CREATE INDEX login_attempts_login_idx ON login_attempts (login, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at);
CREATE INDEX login_attempts_time_idx ON login_attempts (attempted_at);

--
-- Chat
--

CREATE TABLE conversations (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL DEFAULT 'New conversation'
			CONSTRAINT conversations_title_check
			CHECK (char_length(title) BETWEEN 1 AND 200),
	default_model	text NOT NULL DEFAULT 'builtin/parley'
			CONSTRAINT conversations_default_model_check
			CHECK (char_length(default_model) <= 200 AND position('/' IN default_model) > 1),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- The conversation list: newest activity first.
CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id DESC);
-- Search: parley_search_vector(title) @@ plainto_tsquery('simple', $1).
CREATE INDEX conversations_title_fts_idx ON conversations
	USING gin (parley_search_vector(title));
CREATE TRIGGER conversations_touch BEFORE UPDATE ON conversations
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();

CREATE TABLE messages (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	conversation_id	uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	role		text NOT NULL
			CONSTRAINT messages_role_check
			CHECK (role IN ('user', 'assistant')),
	content		text NOT NULL DEFAULT '',
	-- Markdown rendered to safe HTML when the answer is complete; NULL: not yet.
	content_html	text,
	-- User message: the per-message override (NULL: the conversation's default).
	-- Assistant message: the model that answered.
	model		text
			CONSTRAINT messages_model_check
			CHECK (char_length(model) <= 200 AND position('/' IN model) > 1),
	status		text NOT NULL DEFAULT 'complete'
			CONSTRAINT messages_status_check
			CHECK (status IN ('complete', 'streaming', 'stopped', 'error')),
	error		text,			-- what went wrong when status is 'error'
	-- clock_timestamp(), not now(): a question and its answer are inserted in
	-- one transaction and must still sort in the order they were written.
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- A conversation's messages in order, and keyset pages (?before=) by (created_at, id).
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id);
-- Search: parley_search_vector(content) @@ plainto_tsquery('simple', $1).
CREATE INDEX messages_content_fts_idx ON messages
	USING gin (parley_search_vector(content));

-- Usage of one answer: one row per assistant message.
CREATE TABLE responses (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	message_id	uuid NOT NULL
			CONSTRAINT responses_message_id_key UNIQUE
			REFERENCES messages (id) ON DELETE CASCADE,
	model_used	text NOT NULL
			CONSTRAINT responses_model_used_check
			CHECK (char_length(model_used) BETWEEN 1 AND 200),
	tokens_prompt	integer NOT NULL DEFAULT 0
			CONSTRAINT responses_tokens_prompt_check CHECK (tokens_prompt >= 0),
	tokens_completion integer NOT NULL DEFAULT 0
			CONSTRAINT responses_tokens_completion_check CHECK (tokens_completion >= 0),
	tokens_total	integer NOT NULL DEFAULT 0
			CONSTRAINT responses_tokens_total_check CHECK (tokens_total >= 0),
	completion_time_ms integer NOT NULL DEFAULT 0
			CONSTRAINT responses_completion_time_ms_check CHECK (completion_time_ms >= 0),
	time_to_first_token_ms integer
			CONSTRAINT responses_time_to_first_token_ms_check
			CHECK (time_to_first_token_ms >= 0),
	tokens_estimated boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responses_model_idx ON responses (model_used);

--
-- Tasks
--

CREATE TABLE tasks (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL
			CONSTRAINT tasks_title_check
			CHECK (char_length(title) BETWEEN 1 AND 500 AND title ~ '[^[:space:]]'),
	description	text
			CONSTRAINT tasks_description_check
			CHECK (char_length(description) <= 10000),
	completed	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_user_completed_idx ON tasks (user_id, completed, created_at);
CREATE TRIGGER tasks_touch BEFORE UPDATE ON tasks
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();

--
-- Proposals
--

CREATE TABLE proposal_sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL DEFAULT 'Untitled proposal'
			CONSTRAINT proposal_sessions_title_check
			CHECK (char_length(title) BETWEEN 1 AND 200),
	progress	integer NOT NULL DEFAULT 0
			CONSTRAINT proposal_sessions_progress_check
			CHECK (progress BETWEEN 0 AND 100),
	client_name	text
			CONSTRAINT proposal_sessions_client_name_check
			CHECK (char_length(client_name) <= 500),
	project_title	text
			CONSTRAINT proposal_sessions_project_title_check
			CHECK (char_length(project_title) <= 500),
	project_goals	text
			CONSTRAINT proposal_sessions_project_goals_check
			CHECK (char_length(project_goals) <= 10000),
	timeline	text
			CONSTRAINT proposal_sessions_timeline_check
			CHECK (char_length(timeline) <= 10000),
	deliverables	text
			CONSTRAINT proposal_sessions_deliverables_check
			CHECK (char_length(deliverables) <= 10000),
	technologies	text
			CONSTRAINT proposal_sessions_technologies_check
			CHECK (char_length(technologies) <= 10000),
	-- The wizard's Q&A log: [{field, question, answer, answered_at}, ...].
	history		jsonb NOT NULL DEFAULT '[]'
			CONSTRAINT proposal_sessions_history_check
			CHECK (jsonb_typeof(history) = 'array'),
	status		text NOT NULL DEFAULT 'active'
			CONSTRAINT proposal_sessions_status_check
			CHECK (status IN ('active', 'completed')),
	-- The model that writes the sections (NULL: the configured default).
	model		text
			CONSTRAINT proposal_sessions_model_check
			CHECK (char_length(model) <= 200 AND position('/' IN model) > 1),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_sessions_user_updated_idx
	ON proposal_sessions (user_id, updated_at DESC, id DESC);
CREATE TRIGGER proposal_sessions_touch BEFORE UPDATE ON proposal_sessions
	FOR EACH ROW EXECUTE FUNCTION parley_touch_updated_at();

CREATE TABLE proposal_sections (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_id	uuid NOT NULL REFERENCES proposal_sessions (id) ON DELETE CASCADE,
	section_name	text NOT NULL
			CONSTRAINT proposal_sections_section_name_check
			CHECK (section_name IN ('executive_summary', 'objectives',
			    'scope_and_deliverables', 'timeline', 'technology', 'next_steps')),
	content		text NOT NULL DEFAULT ''
			CONSTRAINT proposal_sections_content_check
			CHECK (char_length(content) <= 100000),
	last_updated	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT proposal_sections_session_id_section_name_key
		UNIQUE (session_id, section_name)
);
CREATE TRIGGER proposal_sections_touch BEFORE UPDATE ON proposal_sections
	FOR EACH ROW EXECUTE FUNCTION parley_touch_last_updated();
