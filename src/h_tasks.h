/* h_tasks.h: the todo list's pages (/tasks...) and JSON API (/api/v1/tasks...), one function per route. */
#ifndef PARLEY_H_TASKS_H
#define PARLEY_H_TASKS_H

struct req;

/* Pages (LOGIN). Every POST answers 303 back to /tasks?filter=..., or re-renders with 422. */
void	 h_tasks_page(struct req *r);		/* GET  /tasks?filter=all|pending|completed */
void	 h_tasks_create(struct req *r);		/* POST /tasks */
void	 h_tasks_edit_page(struct req *r);	/* GET  /tasks/{id}/edit */
void	 h_tasks_edit(struct req *r);		/* POST /tasks/{id}/edit */
void	 h_tasks_toggle(struct req *r);		/* POST /tasks/{id}/toggle */
void	 h_tasks_delete_page(struct req *r);	/* GET  /tasks/{id}/delete (the confirmation) */
void	 h_tasks_delete(struct req *r);		/* POST /tasks/{id}/delete */

/* API (API): JSON in and out. */
void	 h_api_tasks_list(struct req *r);	/* GET    /api/v1/tasks?completed=true|false&q=words */
void	 h_api_tasks_create(struct req *r);	/* POST   /api/v1/tasks */
void	 h_api_task_get(struct req *r);		/* GET    /api/v1/tasks/{id} */
void	 h_api_task_update(struct req *r);	/* PATCH  /api/v1/tasks/{id} */
void	 h_api_task_delete(struct req *r);	/* DELETE /api/v1/tasks/{id} */

#endif
