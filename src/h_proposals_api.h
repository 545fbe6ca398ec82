/* h_proposals_api.h: the proposal wizard's JSON API (/api/v1/proposals...), one function per route. */
#ifndef PARLEY_H_PROPOSALS_API_H
#define PARLEY_H_PROPOSALS_API_H

struct req;

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
