-- 0003_proposal_limits.up.sql: the wizard's answer limits, and what writing proposal sections costs.
--
-- Every wizard answer may be up to 5,000 characters, the client name and the
-- project title included (0001 allowed 500 for those two).
-- proposal_sections.model_used: the model that wrote a section's text; NULL
-- once a person has edited it by hand.
-- proposal_usage: one row per request to a model for a section, like
-- responses for chat answers: tokens, timing, and whether it failed.

ALTER TABLE proposal_sessions
	DROP CONSTRAINT proposal_sessions_client_name_check,
	ADD CONSTRAINT proposal_sessions_client_name_check
		CHECK (char_length(client_name) <= 5000),
	DROP CONSTRAINT proposal_sessions_project_title_check,
	ADD CONSTRAINT proposal_sessions_project_title_check
		CHECK (char_length(project_title) <= 5000);

ALTER TABLE proposal_sections
	ADD COLUMN model_used text
		CONSTRAINT proposal_sections_model_used_check
		CHECK (char_length(model_used) BETWEEN 1 AND 200);

CREATE TABLE proposal_usage (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_id	uuid NOT NULL REFERENCES proposal_sessions (id) ON DELETE CASCADE,
	-- The owner, so usage per person needs no join (and goes with the account).
	user_id		uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	section_name	text NOT NULL
			CONSTRAINT proposal_usage_section_name_check
			CHECK (section_name IN ('executive_summary', 'objectives',
			    'scope_and_deliverables', 'timeline', 'technology', 'next_steps')),
	model_used	text NOT NULL
			CONSTRAINT proposal_usage_model_used_check
			CHECK (char_length(model_used) BETWEEN 1 AND 200),
	status		text NOT NULL DEFAULT 'ok'
			CONSTRAINT proposal_usage_status_check
			CHECK (status IN ('ok', 'error')),
	error		text
			CONSTRAINT proposal_usage_error_check
			CHECK (char_length(error) <= 1000),
	tokens_prompt	integer NOT NULL DEFAULT 0
			CONSTRAINT proposal_usage_tokens_prompt_check CHECK (tokens_prompt >= 0),
	tokens_completion integer NOT NULL DEFAULT 0
			CONSTRAINT proposal_usage_tokens_completion_check CHECK (tokens_completion >= 0),
	tokens_total	integer NOT NULL DEFAULT 0
			CONSTRAINT proposal_usage_tokens_total_check CHECK (tokens_total >= 0),
	completion_time_ms integer NOT NULL DEFAULT 0
			CONSTRAINT proposal_usage_completion_time_ms_check
			CHECK (completion_time_ms >= 0),
	time_to_first_token_ms integer
			CONSTRAINT proposal_usage_time_to_first_token_ms_check
			CHECK (time_to_first_token_ms >= 0),
	tokens_estimated boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_usage_session_idx ON proposal_usage (session_id, created_at);
CREATE INDEX proposal_usage_user_idx ON proposal_usage (user_id, created_at);
CREATE INDEX proposal_usage_model_idx ON proposal_usage (model_used);
