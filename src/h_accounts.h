/* h_accounts.h: accounts: register, sign in and out, the account page, tokens, the auth API. */
#ifndef PARLEY_H_ACCOUNTS_H
#define PARLEY_H_ACCOUNTS_H

#include "req.h"

/* Pages: /register, /login, POST /logout. */
void	 h_register_page(struct req *r);
void	 h_register_submit(struct req *r);
void	 h_login_page(struct req *r);
void	 h_login_submit(struct req *r);
void	 h_logout(struct req *r);

/* /account and the forms on it. */
void	 h_account(struct req *r);
void	 h_account_export(struct req *r);
void	 h_account_name(struct req *r);
void	 h_account_password(struct req *r);
void	 h_account_sessions_end_others(struct req *r);
void	 h_account_session_end(struct req *r);
void	 h_account_token_create(struct req *r);
void	 h_account_token_revoke(struct req *r);
void	 h_account_delete(struct req *r);

/* JSON API: /api/v1/auth/..., /api/v1/me, /api/v1/tokens. */
void	 h_api_register(struct req *r);
void	 h_api_login(struct req *r);
void	 h_api_logout(struct req *r);
void	 h_api_me(struct req *r);
void	 h_api_tokens_list(struct req *r);
void	 h_api_tokens_create(struct req *r);
void	 h_api_token_revoke(struct req *r);

/*
 * The local path a login may return to: next itself when it is a path on
 * this site ("/x", not "//host" or "/\host"), else NULL.
 */
const char *accounts_safe_next(const char *next);

#endif
