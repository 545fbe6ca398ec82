/* h_accounts_pages.h: the account pages, one function per route; the API is h_accounts_api.h. */
#ifndef PARLEY_H_ACCOUNTS_PAGES_H
#define PARLEY_H_ACCOUNTS_PAGES_H

struct req;

/* Pages: /register, /login, POST /logout (open to anyone). */
void	 h_register_page(struct req *r);		/* GET  /register */
void	 h_register_submit(struct req *r);		/* POST /register */
void	 h_login_page(struct req *r);			/* GET  /login */
void	 h_login_submit(struct req *r);			/* POST /login */
void	 h_logout(struct req *r);			/* POST /logout */

/* /account and the forms on it (LOGIN). */
void	 h_account(struct req *r);			/* GET  /account */
void	 h_account_export(struct req *r);		/* GET  /account/export */
void	 h_account_name(struct req *r);			/* POST /account/name */
void	 h_account_password(struct req *r);		/* POST /account/password */
void	 h_account_sessions_end_others(struct req *r);	/* POST /account/sessions/others */
void	 h_account_session_end(struct req *r);		/* POST /account/sessions/{id}/end */
void	 h_account_token_create(struct req *r);		/* POST /account/tokens */
void	 h_account_token_revoke(struct req *r);		/* POST /account/tokens/{id}/revoke */
void	 h_account_delete(struct req *r);		/* POST /account/delete */

#endif
