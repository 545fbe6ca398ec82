/* h_proposals.h: the proposal wizard's pages (/proposals...) and JSON API (/api/v1/proposals...), one function per route. */
#ifndef PARLEY_H_PROPOSALS_H
#define PARLEY_H_PROPOSALS_H

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

/* API (API): JSON in and out. */
void	 h_api_proposals_list(struct req *r);		/* GET    /api/v1/proposals */
void	 h_api_proposals_create(struct req *r);		/* POST   /api/v1/proposals */
void	 h_api_proposal_get(struct req *r);		/* GET    /api/v1/proposals/{id} */
void	 h_api_proposal_update(struct req *r);		/* PATCH  /api/v1/proposals/{id} */
void	 h_api_proposal_delete(struct req *r);		/* DELETE /api/v1/proposals/{id} */
void	 h_api_proposal_answer(struct req *r);		/* POST   /api/v1/proposals/{id}/answers */
void	 h_api_proposal_sections(struct req *r);	/* GET    /api/v1/proposals/{id}/sections */
void	 h_api_proposal_section_get(struct req *r);	/* GET    /api/v1/proposals/{id}/sections/{name} */
void	 h_api_proposal_section_put(struct req *r);	/* PUT    /api/v1/proposals/{id}/sections/{name} */
void	 h_api_proposal_section_regenerate(struct req *r); /* POST /api/v1/proposals/{id}/sections/{name}/regenerate */
void	 h_api_proposal_preview(struct req *r);		/* POST   /api/v1/proposals/{id}/preview {content} -> {html} */

#endif
