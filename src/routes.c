/* routes.c: the one table of every address Parley answers, and what each needs.
 *
 * Flags: LOGIN pages redirect to /login when nobody is signed in; API routes
 * answer JSON (401 without a login) and take application/json bodies. Every
 * write (not GET or HEAD) needs a CSRF token unless it came with a bearer
 * token or is marked RF_NOCSRF. */
#include "routes.h"

#include "h_core.h"
/* feature headers */
#include "h_accounts_api.h"
#include "h_accounts_pages.h"
#include "h_tasks.h"
#include "h_proposals_api.h"
#include "h_proposals_pages.h"
#include "h_chat_api.h"
#include "h_chat_pages.h"
#include "h_usage.h"

#define LOGIN	RF_LOGIN
#define API	(RF_API | RF_LOGIN)
#define PUBLIC_API	RF_API

const struct route routes[] = {
	/* Health, for load balancers and operators: no session, no database for /healthz. */
	{ "GET",	"/healthz",	h_healthz,	RF_NODB, NULL },
	{ "GET",	"/readyz",	h_readyz,	RF_NODB, NULL },
	{ "GET",	"/",		h_home,		0, NULL },
	/* accounts routes */
	{ "GET",	"/register",	h_register_page,	0, NULL },
	{ "POST",	"/register",	h_register_submit,	0, NULL },
	{ "GET",	"/login",	h_login_page,	0, NULL },
	{ "POST",	"/login",	h_login_submit,	0, NULL },
	/* Checks its own CSRF token: a lapsed session's "Sign out" must not be a 403. */
	{ "POST",	"/logout",	h_logout,	RF_NOCSRF, NULL },
	{ "GET",	"/account",	h_account,	LOGIN, NULL },
	{ "GET",	"/account/export",	h_account_export,	LOGIN, NULL },
	{ "POST",	"/account/name",	h_account_name,	LOGIN, NULL },
	{ "POST",	"/account/password",	h_account_password,	LOGIN, NULL },
	{ "POST",	"/account/sessions/others",	h_account_sessions_end_others,	LOGIN, NULL },
	{ "POST",	"/account/sessions/{id}/end",	h_account_session_end,	LOGIN, NULL },
	{ "POST",	"/account/tokens",	h_account_token_create,	LOGIN, NULL },
	{ "POST",	"/account/tokens/{id}/revoke",	h_account_token_revoke,	LOGIN, NULL },
	{ "POST",	"/account/delete",	h_account_delete,	LOGIN, NULL },
	{ "POST",	"/api/v1/auth/register",	h_api_register,	PUBLIC_API | RF_NOCSRF, NULL },
	{ "POST",	"/api/v1/auth/login",	h_api_login,	PUBLIC_API | RF_NOCSRF, NULL },
	{ "POST",	"/api/v1/auth/logout",	h_api_logout,	API, NULL },
	{ "GET",	"/api/v1/me",	h_api_me,	API, NULL },
	{ "GET",	"/api/v1/tokens",	h_api_tokens_list,	API, NULL },
	{ "POST",	"/api/v1/tokens",	h_api_tokens_create,	API, NULL },
	{ "DELETE",	"/api/v1/tokens/{id}",	h_api_token_revoke,	API, NULL },
	/* tasks routes */
	{ "GET",	"/tasks",			h_tasks_page,		LOGIN, NULL },
	{ "POST",	"/tasks",			h_tasks_create,		LOGIN, NULL },
	{ "GET",	"/tasks/{id}/edit",		h_tasks_edit_page,	LOGIN, NULL },
	{ "POST",	"/tasks/{id}/edit",		h_tasks_edit,		LOGIN, NULL },
	{ "POST",	"/tasks/{id}/toggle",		h_tasks_toggle,		LOGIN, NULL },
	{ "GET",	"/tasks/{id}/delete",		h_tasks_delete_page,	LOGIN, NULL },
	{ "POST",	"/tasks/{id}/delete",		h_tasks_delete,		LOGIN, NULL },
	{ "GET",	"/api/v1/tasks",		h_api_tasks_list,	API, NULL },
	{ "POST",	"/api/v1/tasks",		h_api_tasks_create,	API, NULL },
	{ "GET",	"/api/v1/tasks/{id}",		h_api_task_get,		API, NULL },
	{ "PATCH",	"/api/v1/tasks/{id}",		h_api_task_update,	API, NULL },
	{ "DELETE",	"/api/v1/tasks/{id}",		h_api_task_delete,	API, NULL },
	/* chat routes */
	{ "GET",	"/chat",				h_chat_page,		LOGIN, NULL },
	{ "POST",	"/chat",				h_chat_create,		LOGIN, NULL },
	{ "GET",	"/chat/{id}",				h_chat_conversation,	LOGIN,
	    prefetch_chat_conversation },
	{ "POST",	"/chat/{id}/messages",			h_chat_send,		LOGIN, NULL },
	{ "GET",	"/chat/{id}/messages/{mid}",		h_chat_message,		LOGIN, NULL },
	{ "POST",	"/chat/{id}/messages/{mid}/stop",	h_chat_stop,		LOGIN, NULL },
	{ "POST",	"/chat/{id}/rename",			h_chat_rename,		LOGIN, NULL },
	{ "POST",	"/chat/{id}/model",			h_chat_model,		LOGIN, NULL },
	{ "POST",	"/chat/{id}/delete",			h_chat_delete,		LOGIN, NULL },
	{ "POST",	"/chat/{id}/regenerate",		h_chat_regenerate,	LOGIN, NULL },
	{ "GET",	"/api/v1/models",			h_api_models,		API, NULL },
	{ "GET",	"/api/v1/usage",				h_api_usage,		API, NULL },
	{ "GET",	"/api/v1/conversations",			h_api_conv_list,	API, NULL },
	{ "POST",	"/api/v1/conversations",			h_api_conv_create,	API, NULL },
	{ "GET",	"/api/v1/conversations/{id}",		h_api_conv_get,		API, NULL },
	{ "PATCH",	"/api/v1/conversations/{id}",		h_api_conv_update,	API, NULL },
	{ "DELETE",	"/api/v1/conversations/{id}",		h_api_conv_delete,	API, NULL },
	{ "GET",	"/api/v1/conversations/{id}/messages",	h_api_msg_list,		API,
	    prefetch_api_msg_list },
	{ "POST",	"/api/v1/conversations/{id}/messages",	h_api_msg_create,	API,
	    prefetch_api_msg_create },
	{ "POST",	"/api/v1/conversations/{id}/regenerate",	h_api_regenerate,	API, NULL },
	{ "GET",	"/api/v1/conversations/{id}/messages/{mid}",	h_api_msg_get,	API, NULL },
	{ "GET",	"/api/v1/conversations/{id}/messages/{mid}/events",	h_api_msg_events,	API, NULL },
	{ "POST",	"/api/v1/conversations/{id}/messages/{mid}/stop",	h_api_msg_stop,	API, NULL },
	{ "GET",	"/usage",				h_usage_page,		LOGIN, NULL },
	/* proposals routes */
	{ "GET",	"/proposals",				h_proposals_page,		LOGIN, NULL },
	{ "POST",	"/proposals",				h_proposals_create,		LOGIN, NULL },
	{ "GET",	"/proposals/{id}",			h_proposal_page,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/answers",		h_proposal_answer,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/settings",		h_proposal_settings,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/status",		h_proposal_status,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/regenerate",		h_proposal_regenerate,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/sections/{name}",	h_proposal_section_save,	LOGIN, NULL },
	{ "POST",	"/proposals/{id}/sections/{name}/regenerate", h_proposal_section_regenerate, LOGIN, NULL },
	{ "GET",	"/proposals/{id}/delete",		h_proposal_delete_page,		LOGIN, NULL },
	{ "POST",	"/proposals/{id}/delete",		h_proposal_delete,		LOGIN, NULL },
	{ "GET",	"/proposals/{id}/export.md",		h_proposal_export,		LOGIN, NULL },
	{ "GET",	"/api/v1/proposals",			h_api_proposals_list,		API, NULL },
	{ "POST",	"/api/v1/proposals",			h_api_proposals_create,		API, NULL },
	{ "GET",	"/api/v1/proposals/{id}",		h_api_proposal_get,		API, NULL },
	{ "PATCH",	"/api/v1/proposals/{id}",		h_api_proposal_update,		API, NULL },
	{ "DELETE",	"/api/v1/proposals/{id}",		h_api_proposal_delete,		API, NULL },
	{ "POST",	"/api/v1/proposals/{id}/answers",	h_api_proposal_answer,		API, NULL },
	{ "POST",	"/api/v1/proposals/{id}/preview",	h_api_proposal_preview,		API, NULL },
	{ "GET",	"/api/v1/proposals/{id}/sections",	h_api_proposal_sections,	API, NULL },
	{ "GET",	"/api/v1/proposals/{id}/sections/{name}", h_api_proposal_section_get,	API, NULL },
	{ "PUT",	"/api/v1/proposals/{id}/sections/{name}", h_api_proposal_section_put,	API, NULL },
	{ "POST",	"/api/v1/proposals/{id}/sections/{name}/regenerate",
	    h_api_proposal_section_regenerate, API, NULL },
};

const size_t nroutes = sizeof routes / sizeof routes[0];
