/* h_accounts_api.h: the accounts JSON API (/api/v1/auth, /me, /tokens), one function per route. */
#ifndef PARLEY_H_ACCOUNTS_API_H
#define PARLEY_H_ACCOUNTS_API_H

struct req;

/* JSON API: /api/v1/auth/... (register and login open to anyone), /api/v1/me, /api/v1/tokens. */
void	 h_api_register(struct req *r);		/* POST   /api/v1/auth/register */
void	 h_api_login(struct req *r);		/* POST   /api/v1/auth/login */
void	 h_api_logout(struct req *r);		/* POST   /api/v1/auth/logout */
void	 h_api_me(struct req *r);		/* GET    /api/v1/me */
void	 h_api_tokens_list(struct req *r);	/* GET    /api/v1/tokens */
void	 h_api_tokens_create(struct req *r);	/* POST   /api/v1/tokens */
void	 h_api_token_revoke(struct req *r);	/* DELETE /api/v1/tokens/{id} */

#endif
