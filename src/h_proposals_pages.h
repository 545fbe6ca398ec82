/* h_proposals_pages.h: the proposal wizard's pages (/proposals...), one function per route; the API is h_proposals_api.h. */
#ifndef PARLEY_H_PROPOSALS_PAGES_H
#define PARLEY_H_PROPOSALS_PAGES_H

struct req;

/* Pages (LOGIN). Every POST answers 303 (POST/redirect/GET), or re-renders the page with the problem. */
void	 h_proposals_page(struct req *r);		/* GET  /proposals */
void	 h_proposals_create(struct req *r);		/* POST /proposals */
void	 h_proposal_page(struct req *r);		/* GET  /proposals/{id}?step=N */
void	 h_proposal_answer(struct req *r);		/* POST /proposals/{id}/answers */
void	 h_proposal_settings(struct req *r);		/* POST /proposals/{id}/settings */
void	 h_proposal_status(struct req *r);		/* POST /proposals/{id}/status */
void	 h_proposal_regenerate(struct req *r);		/* POST /proposals/{id}/regenerate */
void	 h_proposal_section_save(struct req *r);	/* POST /proposals/{id}/sections/{name} */
void	 h_proposal_section_regenerate(struct req *r);	/* POST /proposals/{id}/sections/{name}/regenerate */
void	 h_proposal_delete_page(struct req *r);		/* GET  /proposals/{id}/delete (the confirmation) */
void	 h_proposal_delete(struct req *r);		/* POST /proposals/{id}/delete */
void	 h_proposal_export(struct req *r);		/* GET  /proposals/{id}/export.md */

#endif
