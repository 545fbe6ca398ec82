/* log.h: leveled logging to stderr, one write per line, non-printables replaced. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL__MAX
};

/* Set once at startup (before threads), read everywhere after. */
void	 log_set_level(enum log_level lvl);
int	 log_level_parse(const char *s, enum log_level *out);	/* 0 or -1 */
/* Remembers this process's id for log lines (saves a system call per line); call after fork. */
void	 log_set_process(void);
int	 log_enabled(enum log_level lvl);

void	 log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* The access log line: one per request, always written (not subject to the level). */
void	 log_access(const char *request_id, const char *method, const char *path,
	    int status, long long duration_us);

#endif
