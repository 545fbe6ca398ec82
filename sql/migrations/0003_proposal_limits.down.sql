-- 0003_proposal_limits.down.sql: undoes 0003_proposal_limits.up.sql.
--
-- Client names and project titles longer than 0001's 500 characters are cut
-- to fit, since the older rule cannot hold them.

DROP TABLE proposal_usage;

ALTER TABLE proposal_sections
	DROP COLUMN model_used;

UPDATE proposal_sessions
	SET client_name = left(client_name, 500), project_title = left(project_title, 500)
	WHERE char_length(client_name) > 500 OR char_length(project_title) > 500;

ALTER TABLE proposal_sessions
	DROP CONSTRAINT proposal_sessions_client_name_check,
	ADD CONSTRAINT proposal_sessions_client_name_check
		CHECK (char_length(client_name) <= 500),
	DROP CONSTRAINT proposal_sessions_project_title_check,
	ADD CONSTRAINT proposal_sessions_project_title_check
		CHECK (char_length(project_title) <= 500);
