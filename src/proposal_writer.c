/* proposal_writer.c: proposal sections from the wizard's answers: composed offline, or asked of a model. */
#include "proposal_writer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "prose.h"
#include "req.h"
#include "text.h"
#include "timeline.h"
#include "xalloc.h"

#define BUILTIN_MODEL	"builtin/parley"

/* ---- small text tools ---- */

/* The goals: one per line or semicolon, and one per sentence; never split at commas. */
static void
split_goals(const char *text, struct items *out)
{
	struct items lines = { .n = 0 };

	split_list(text, false, &lines);
	out->n = 0;
	for (size_t i = 0; i < lines.n; i++) {
		const char *s, *start;

		start = s = lines.v[i];
		for (; *s; s++) {
			/* A sentence ends at . ! ? followed by a space and a capital letter. */
			if ((*s == '.' || *s == '!' || *s == '?') && s[1] == ' ' &&
			    isupper((unsigned char)s[2])) {
				items_add(out, start, (size_t)(s - start));
				start = s + 2;
			}
		}
		items_add(out, start, strlen(start));
	}
	items_free(&lines);
}

/* Backslash-escapes what Markdown would read as markup, so an answer shows as typed. */
static void
md_text(struct buf *b, const char *s)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' ||
		    c == '<' || c == '>' || c == '|' || c == '~' ||
		    (c == '#' && i == 0) ||
		    (c == '&' && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '#')))
			buf_putc(b, '\\');
		buf_putc(b, c);
	}
}

/* The first letter upper-cased (ASCII). */
static void
md_cap(struct buf *b, const char *s)
{
	char *t = xstrdup(s);

	if (islower((unsigned char)t[0]))
		t[0] = (char)toupper((unsigned char)t[0]);
	md_text(b, t);
	free(t);
}

/*
 * The first letter lower-cased for use inside a sentence, unless the first
 * word looks like a name or an acronym ("WordPress", "API", "I").
 */
static void
md_lower(struct buf *b, const char *s)
{
	char *t = xstrdup(s);
	bool name = false;
	size_t i;

	for (i = 1; t[i] != '\0' && !is_space(t[i]); i++)
		if (isupper((unsigned char)t[i]) || isdigit((unsigned char)t[i]))
			name = true;
	if (i == 1 && t[0] == 'I')
		name = true;		/* "I", but "A faster site" becomes "a faster site" */
	if (!name && isupper((unsigned char)t[0]))
		t[0] = (char)tolower((unsigned char)t[0]);
	md_text(b, t);
	free(t);
}

/* Ends a sentence that does not end in . ! or ? already. */
static void
end_sentence(struct buf *b)
{
	char c = b->len > 0 ? b->data[b->len - 1] : '.';

	if (c != '.' && c != '!' && c != '?')
		buf_putc(b, '.');
}

/* "a", "a and b", "a, b and c", each written with fn. */
static void
md_join(struct buf *b, const struct items *it, void (*fn)(struct buf *, const char *))
{
	for (size_t i = 0; i < it->n; i++) {
		if (i > 0)
			buf_puts(b, i == it->n - 1 ? " and " : ", ");
		fn(b, it->v[i]);
	}
}

/* n in words up to twelve, else in digits. */
static void
put_count(struct buf *b, size_t n)
{
	const char *w = number_word(n);

	if (w != NULL)
		buf_puts(b, w);
	else
		buf_printf(b, "%zu", n);
}

/* ---- the answers, read once for every section ---- */

struct answers {
	char		*client;	/* tidied, one line */
	char		*project;
	char		*timeline;
	struct items	 goals;
	struct items	 deliverables;
	struct items	 techs;
	struct plan	 plan;
	bool		 milestones;	/* the plan is worth a list: 2+ stages, one with a period */
};

static void
answers_read(struct json_object *p, struct answers *a)
{
	memset(a, 0, sizeof *a);
	a->client = tidy(jfield_str(p, "client_name"));
	a->project = tidy(jfield_str(p, "project_title"));
	a->timeline = tidy(jfield_str(p, "timeline"));
	strip_end_punct(a->timeline);
	if (a->client[0] == '\0') {
		free(a->client);
		a->client = xstrdup("the client");
	}
	if (a->project[0] == '\0') {
		free(a->project);
		a->project = xstrdup("the project");
	}
	split_goals(jfield_str(p, "project_goals"), &a->goals);
	split_list(jfield_str(p, "deliverables"), true, &a->deliverables);
	split_list(jfield_str(p, "technologies"), true, &a->techs);
	plan_read(jfield_str(p, "timeline"), &a->plan);
	a->milestones = a->plan.n >= 2 && a->plan.with_period > 0;
}

static void
answers_free(struct answers *a)
{
	free(a->client);
	free(a->project);
	free(a->timeline);
	items_free(&a->goals);
	items_free(&a->deliverables);
	items_free(&a->techs);
	plan_free(&a->plan);
}

/* **Project** */
static void
put_project(struct buf *b, const struct answers *a)
{
	buf_puts(b, "**");
	md_text(b, a->project);
	buf_puts(b, "**");
}

/* The client's name at the start of a sentence. */
static void
put_client_cap(struct buf *b, const struct answers *a)
{
	md_cap(b, a->client);
}

/* ---- the six sections ---- */

static void
write_summary(struct buf *b, const struct answers *a)
{
	put_client_cap(b, a);
	buf_puts(b, " has asked us for a proposal for ");
	put_project(b, a);
	buf_puts(b, ". This document sets out what the project will achieve, what we will "
	    "deliver, when, and how.\n\n");

	if (a->goals.n > 0) {
		buf_puts(b, "At its heart, the project is about one goal: ");
		md_lower(b, a->goals.v[0]);
		end_sentence(b);
		if (a->goals.n > 1) {
			buf_puts(b, " Alongside it we will work towards ");
			put_count(b, a->goals.n - 1);
			buf_puts(b, a->goals.n == 2 ? " further objective" : " further objectives");
			buf_puts(b, ", set out below.");
		}
		buf_puts(b, "\n\n");
	}

	buf_puts(b, "We will deliver ");
	if (a->deliverables.n == 0)
		buf_puts(b, "the agreed results");
	else if (a->deliverables.n <= 3)
		md_join(b, &a->deliverables, md_lower);
	else {
		put_count(b, a->deliverables.n);
		buf_puts(b, " deliverables, from ");
		md_lower(b, a->deliverables.v[0]);
		buf_puts(b, " to ");
		md_lower(b, a->deliverables.v[a->deliverables.n - 1]);
		buf_puts(b, ",");
	}
	if (a->plan.with_period > 0 && plan_days(&a->plan) > 0) {
		buf_puts(b, " over ");
		plan_put_total(b, &a->plan);
	} else
		buf_puts(b, " on the schedule set out below");
	if (a->techs.n > 0) {
		buf_puts(b, ", using ");
		md_join(b, &a->techs, md_text);
	}
	buf_puts(b, ".\n\nThe sections that follow describe the objectives, the scope of the "
	    "work, the milestones, the technical approach and the next steps.\n");
}

static void
write_objectives(struct buf *b, const struct answers *a)
{
	buf_puts(b, "Together with ");
	md_text(b, a->client);
	if (a->goals.n <= 1)
		buf_puts(b, ", we will work towards one clear objective:\n\n");
	else {
		buf_puts(b, ", we will work towards these ");
		put_count(b, a->goals.n);
		buf_puts(b, " objectives:\n\n");
	}
	if (a->goals.n == 0)
		buf_puts(b, "1. The outcomes agreed at the kick-off meeting.\n");
	for (size_t i = 0; i < a->goals.n; i++) {
		buf_printf(b, "%zu. ", i + 1);
		md_cap(b, a->goals.v[i]);
		end_sentence(b);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nWe review ");
	buf_puts(b, a->goals.n <= 1 ? "this objective" : "these objectives");
	buf_puts(b, " with ");
	md_text(b, a->client);
	buf_puts(b, " at the end of every milestone, so that ");
	put_project(b, a);
	buf_puts(b, " stays focused on the results that matter.\n");
}

static void
write_scope(struct buf *b, const struct answers *a)
{
	buf_puts(b, "The scope of ");
	put_project(b, a);
	buf_puts(b, a->deliverables.n == 1 ? " covers one deliverable for " :
	    " covers the following deliverables for ");
	md_text(b, a->client);
	buf_puts(b, ":\n\n");
	if (a->deliverables.n == 0)
		buf_puts(b, "- The results agreed at the kick-off meeting\n");
	for (size_t i = 0; i < a->deliverables.n; i++) {
		buf_puts(b, "- ");
		md_cap(b, a->deliverables.v[i]);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nEach deliverable is reviewed and accepted by ");
	md_text(b, a->client);
	buf_puts(b, " before it is considered complete. Work that is not listed here is outside "
	    "the scope of this proposal; we are happy to add it through a short change request "
	    "with its own estimate.\n");
}

static void
write_timeline(struct buf *b, const struct answers *a)
{
	const struct plan *p = &a->plan;
	int u = plan_common_unit(p);
	long at = 0;

	if (!a->milestones) {
		buf_puts(b, "We have planned ");
		put_project(b, a);
		buf_puts(b, " around the schedule agreed with ");
		md_text(b, a->client);
		buf_puts(b, ": ");
		md_lower(b, a->timeline[0] != '\0' ? a->timeline : "to be confirmed");
		end_sentence(b);
		buf_puts(b, "\n\nIn the first week we turn this into a detailed plan with dates, "
		    "and we review progress with ");
		md_text(b, a->client);
		buf_puts(b, " at the end of every stage.\n");
		return;
	}

	buf_puts(b, "We will deliver ");
	put_project(b, a);
	buf_puts(b, " in ");
	put_count(b, p->n);
	buf_puts(b, " milestones:\n\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct milestone *m = &p->m[i];
		const char *w;
		bool any = false;

		buf_printf(b, "%zu. **", i + 1);
		if (m->label != NULL) {
			md_text(b, m->label);
			if (m->name[0] != '\0')
				buf_puts(b, " \xe2\x80\x93 ");
		}
		if (m->name[0] != '\0')
			md_cap(b, m->name);
		else if (m->label == NULL)
			buf_printf(b, "Milestone %zu", i + 1);
		buf_puts(b, "**");
		if (m->lo > 0) {
			buf_puts(b, ": ");
			plan_put_duration(b, m);
			any = true;
			if (u >= 0 && (w = plan_count_word(u)) != NULL) {
				long from = at + 1, to = at + m->hi;

				if (from == to)
					buf_printf(b, " (%s %ld)", w, from);
				else
					buf_printf(b, " (%ss %ld\xe2\x80\x93%ld)", w, from, to);
			}
			at += m->hi;
		}
		if (m->quarter != NULL) {
			buf_puts(b, any ? ", completed in " : ": completed in ");
			md_text(b, m->quarter);
		}
		buf_putc(b, '\n');
	}
	buf_putc(b, '\n');
	if (plan_days(p) > 0 && p->n > 1) {
		buf_puts(b, "Altogether that is ");
		plan_put_total(b, p);
		buf_puts(b, " of work. ");
	}
	buf_puts(b, "Each milestone ends with a short review with ");
	md_text(b, a->client);
	buf_puts(b, ", so that feedback is taken in before the next one starts.\n");
}

/* What a technology does in a project, by the words in its name. */
static const struct {
	const char	*words;		/* keywords separated by '|', matched as whole words */
	const char	*does;		/* completes "**Name** ..." */
} tech_roles[] = {
	{ "react native|flutter|swift|swiftui|kotlin|ios|android|xamarin|ionic",
	  "powers the mobile app, so that it feels at home on phones and tablets." },
	{ "woocommerce|shopify|magento|bigcommerce|prestashop",
	  "runs the online shop: products, orders and stock in one place." },
	{ "wordpress|drupal|joomla|contentful|strapi|sanity|ghost|wagtail|craft|webflow|"
	  "squarespace|wix|directus",
	  "lets the team at %s update content without developer help." },
	{ "stripe|paypal|mollie|adyen|braintree|square|klarna",
	  "takes secure online payments, so card details never touch our servers." },
	{ "react|vue|vue.js|angular|svelte|sveltekit|next.js|nextjs|nuxt|remix|astro|ember|"
	  "htmx|alpine.js|jquery",
	  "drives a fast, accessible user interface built from reusable components." },
	{ "html|html5|css|css3|sass|scss|tailwind|tailwindcss|bootstrap|javascript|typescript",
	  "keeps the pages clean, responsive and quick on every screen size." },
	{ "node|node.js|nodejs|express|django|flask|fastapi|rails|ruby on rails|ruby|laravel|php|"
	  "symfony|spring|spring boot|java|go|golang|rust|.net|asp.net|c#|python|elixir|phoenix|"
	  "deno|nestjs|graphql|rest|api",
	  "runs the application logic on the server, covered by automated tests." },
	{ "postgres|postgresql|mysql|mariadb|sqlite|mongodb|redis|elasticsearch|supabase|"
	  "firebase|dynamodb|sql server",
	  "stores the data safely, with regular, tested backups." },
	{ "cloudflare|fastly|akamai|cdn",
	  "delivers pages quickly worldwide and shields the site from attacks." },
	{ "aws|amazon web services|azure|gcp|google cloud|heroku|vercel|netlify|digitalocean|"
	  "linode|hetzner|fly.io|render|ovh",
	  "hosts the service reliably, with room to grow." },
	{ "docker|kubernetes|k8s|terraform|ansible|github actions|gitlab|gitlab ci|jenkins|ci|"
	  "ci/cd|github",
	  "makes builds and deployments repeatable and automated." },
	{ "figma|sketch|adobe xd|xd|invision|framer",
	  "holds the designs and clickable prototypes, so that they can be reviewed early." },
	{ "google analytics|analytics|plausible|matomo|mixpanel|hotjar|posthog",
	  "measures how visitors use the site, to guide what to improve next." },
	{ "openai|gpt|chatgpt|llm|ai|machine learning|ml|tensorflow|pytorch",
	  "powers the intelligent features, with care for the quality and privacy of the data." },
	{ "mailchimp|sendgrid|postmark|mailgun|brevo|email",
	  "sends reliable email to customers." },
};

/* The role of tech, or NULL when no keyword matches. */
static const char *
tech_role(const char *tech)
{
	for (size_t i = 0; i < sizeof tech_roles / sizeof tech_roles[0]; i++) {
		const char *w = tech_roles[i].words;

		while (*w != '\0') {
			size_t n = strcspn(w, "|");
			char word[40];

			if (n < sizeof word) {
				memcpy(word, w, n);
				word[n] = '\0';
				if (find_word(tech, word) != NULL)
					return tech_roles[i].does;
			}
			w += n;
			if (*w == '|')
				w++;
		}
	}
	return NULL;
}

static void
write_technology(struct buf *b, const struct answers *a)
{
	buf_puts(b, "We will build ");
	put_project(b, a);
	buf_puts(b, " with a focused set of proven technologies:\n\n");
	if (a->techs.n == 0)
		buf_puts(b, "- The technology choices are confirmed at the kick-off meeting.\n");
	for (size_t i = 0; i < a->techs.n; i++) {
		const char *role = tech_role(a->techs.v[i]);

		buf_puts(b, "- **");
		md_text(b, a->techs.v[i]);
		buf_puts(b, "** ");
		if (role == NULL)
			buf_puts(b, "is part of the stack as a proven, well-supported choice.");
		else if (strstr(role, "%s") != NULL) {
			struct buf c = BUF_INIT;
			const char *at = strstr(role, "%s");

			md_text(&c, a->client);
			buf_append(b, role, (size_t)(at - role));
			buf_puts(b, buf_cstr(&c));
			buf_puts(b, at + 2);
			buf_free(&c);
		} else
			buf_puts(b, role);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nWe choose well-established, well-documented tools so that ");
	md_text(b, a->client);
	buf_puts(b, " is never tied to a single supplier. Security updates, automated tests "
	    "and code review are part of the work, and the code, its configuration and its "
	    "documentation are handed over at the end of the project.\n");
}

static void
write_next_steps(struct buf *b, const struct answers *a)
{
	const char *first = NULL;

	if (a->milestones) {
		const struct milestone *m = &a->plan.m[0];
		first = m->name[0] != '\0' ? m->name : m->label;
	}
	buf_puts(b, "1. ");
	put_client_cap(b, a);
	buf_puts(b, " reviews this proposal and sends us any questions or changes.\n");
	buf_puts(b, "2. We agree on the scope, the schedule and the budget, and both sides sign "
	    "off the proposal.\n");
	buf_puts(b, "3. We hold a kick-off meeting to plan the first milestone");
	if (first != NULL) {
		buf_puts(b, ", *");
		md_cap(b, first);
		buf_puts(b, "*,");
	}
	buf_puts(b, " in detail.\n");
	buf_puts(b, "4. Work begins, with a progress update at the end of every milestone.\n\n");
	buf_puts(b, "We look forward to working with ");
	md_text(b, a->client);
	buf_puts(b, " on ");
	put_project(b, a);
	buf_puts(b, ".\n");
}

char *
proposal_builtin_section(struct json_object *proposal, enum proposal_section s)
{
	struct buf b = BUF_INIT;
	struct answers a;

	answers_read(proposal, &a);
	switch (s) {
	case PS_EXECUTIVE_SUMMARY:
		write_summary(&b, &a);
		break;
	case PS_OBJECTIVES:
		write_objectives(&b, &a);
		break;
	case PS_SCOPE:
		write_scope(&b, &a);
		break;
	case PS_TIMELINE:
		write_timeline(&b, &a);
		break;
	case PS_TECHNOLOGY:
		write_technology(&b, &a);
		break;
	case PS_NEXT_STEPS:
	default:
		write_next_steps(&b, &a);
		break;
	}
	answers_free(&a);
	return buf_detach(&b);
}

/* ---- export ---- */

char *
proposal_markdown_document(struct json_object *proposal, struct json_object *sections)
{
	struct buf b = BUF_INIT;
	char *title = tidy(jfield_str(proposal, "title")), *client = tidy(jfield_str(proposal, "client_name"));
	char *project = tidy(jfield_str(proposal, "project_title"));
	const char *updated = jfield_str(proposal, "updated_at");
	size_t n = sections != NULL ? json_object_array_length(sections) : 0;

	buf_puts(&b, "# ");
	md_text(&b, title[0] != '\0' ? title : "Proposal");
	buf_puts(&b, "\n\n");
	/* Two spaces at the end of a line: a line break within the paragraph. */
	if (client[0] != '\0') {
		buf_puts(&b, "**Client:** ");
		md_text(&b, client);
		buf_puts(&b, "  \n");
	}
	if (project[0] != '\0') {
		buf_puts(&b, "**Project:** ");
		md_text(&b, project);
		buf_puts(&b, "  \n");
	}
	if (updated != NULL && strlen(updated) >= 10)
		buf_printf(&b, "**Date:** %.10s\n", updated);
	for (int s = 0; s < PS__MAX; s++) {
		const struct proposal_section_info *info = proposal_section((enum proposal_section)s);

		for (size_t i = 0; i < n; i++) {
			struct json_object *sec = json_object_array_get_idx(sections, i);
			const char *name = jfield_str(sec, "section_name"), *content = jfield_str(sec, "content");
			size_t len;

			if (name == NULL || strcmp(name, info->name) != 0)
				continue;
			buf_printf(&b, "\n## %s\n\n", info->title);
			content = content != NULL ? content : "";
			len = strlen(content);
			while (len > 0 && is_space(content[len - 1]))
				len--;
			buf_append(&b, content, len);
			buf_putc(&b, '\n');
		}
	}
	free(title);
	free(client);
	free(project);
	return buf_detach(&b);
}

/* ---- remote models ---- */

static const char *const section_asks[PS__MAX] = {
	/* PS_EXECUTIVE_SUMMARY */
	"In two or three short paragraphs, summarise who the proposal is for, what the project "
	"will achieve, what will be delivered, over what time, and with which technologies.",
	/* PS_OBJECTIVES */
	"Write one sentence of introduction, then the project's objectives as a numbered list: "
	"one per goal, each a clear and, where possible, measurable statement.",
	/* PS_SCOPE */
	"List the deliverables as a bulleted list, each with a short description, then one "
	"paragraph saying that work not listed is out of scope and can be added through a "
	"change request.",
	/* PS_TIMELINE */
	"Turn the timeline into a numbered list of milestones. Where it names periods (like "
	"\"2 weeks\", \"3 months\", \"Q1\" or \"phase 2\"), give each milestone its period and "
	"its place in the schedule. End with one sentence on how progress is reviewed.",
	/* PS_TECHNOLOGY */
	"List the technologies as a bulleted list, each with one sentence on how it is used in "
	"this project, then one short paragraph on the technical approach: quality, security "
	"and handover.",
	/* PS_NEXT_STEPS */
	"Write a short numbered list of the steps from receiving this proposal to starting the "
	"work, then one closing sentence.",
};

char *
proposal_section_prompt(struct json_object *proposal, enum proposal_section s)
{
	const struct proposal_section_info *info = proposal_section(s);
	struct buf b = BUF_INIT;

	if (info == NULL) {
		s = PS_EXECUTIVE_SUMMARY;
		info = proposal_section(s);
	}
	buf_puts(&b,
	    "You write clear, persuasive client proposals for freelancers and small agencies. "
	    "Write in plain, professional English, as \"we\" for the team sending the proposal, "
	    "and call the client by name. Answer with the section's text in Markdown only: no "
	    "heading with the section's title, no preamble, no remarks about the text. Use only "
	    "the facts given; do not invent prices, dates or names.\n\n");
	buf_printf(&b, "Write the \"%s\" section of a client proposal.\n\n%s\n\n"
	    "The facts, as the freelancer gave them:\n", info->title, section_asks[s]);
	for (int f = 0; f < PF__MAX; f++) {
		const struct proposal_question *q = proposal_question((enum proposal_field)f);
		const char *v = jfield_str(proposal, q->field);

		buf_printf(&b, "\n%s:\n", q->label);
		if (v == NULL || v[0] == '\0') {
			buf_puts(&b, "  (not given)\n");
			continue;
		}
		/* Indented, so an answer cannot pose as another heading of the request. */
		buf_puts(&b, "  ");
		for (const char *p = v; *p; p++) {
			if (*p == '\r')
				continue;
			buf_putc(&b, *p);
			if (*p == '\n')
				buf_puts(&b, "  ");
		}
		buf_putc(&b, '\n');
	}
	return buf_detach(&b);
}

const char *
proposal_writer_model(const struct config *cfg, struct json_object *proposal)
{
	const char *m = jfield_str(proposal, "model");

	if (m != NULL && m[0] != '\0')
		return m;
	return llm_default_model(cfg);
}

/* The model's text without a first line that only repeats the section's title. Caller frees. */
static char *
model_text(const char *text, const char *title)
{
	const char *s = text, *nl;
	char *line;

	while (is_space(*s))
		s++;
	if (*s == '#' && (nl = strchr(s, '\n')) != NULL) {
		const char *h = s;
		while (*h == '#' || *h == ' ')
			h++;
		line = tidy_n(h, (size_t)(nl - h));
		{
			/* "**Executive summary**" and "Executive Summary:" count too. */
			char *p = line;
			size_t n;
			while (*p == '*')
				p++;
			n = strlen(p);
			while (n > 0 && (p[n - 1] == '*' || p[n - 1] == ':'))
				p[--n] = '\0';
			if (strcasecmp(p, title) == 0)
				s = nl + 1;
		}
		free(line);
	}
	/* Trim only the ends: inner line breaks are Markdown. */
	return trimmed(s);
}

enum pw_status
proposal_write_section(struct worker *w, const char *user_id, struct json_object *proposal,
    enum proposal_section s, struct json_object **out, struct pw_result *res)
{
	const struct config *cfg = w->app != NULL ? w->app->cfg : NULL;
	const struct proposal_section_info *info = proposal_section(s);
	const char *model = proposal_writer_model(cfg, proposal), *id = jfield_str(proposal, "id");
	struct proposal_usage u;
	struct json_object *sec = NULL;
	char *text = NULL;
	enum db_err e;

	memset(res, 0, sizeof *res);
	memset(&u, 0, sizeof u);
	u.model_used = model;
	u.time_to_first_token_ms = -1;
	if (info == NULL || id == NULL) {
		res->status = PW_STORE_FAILED;
		res->db = DB_NOTFOUND;
		return res->status;
	}

	if (strcmp(model, BUILTIN_MODEL) == 0) {
		struct timespec t0, t1;
		char *ask;

		clock_now(&t0);
		text = proposal_builtin_section(proposal, s);
		clock_now(&t1);
		/* Counted like the builtin chat model does: estimates, from what it read and wrote. */
		ask = proposal_section_prompt(proposal, s);
		u.tokens_prompt = llm_estimate_tokens(ask);
		u.tokens_completion = llm_estimate_tokens(text);
		u.tokens_total = u.tokens_prompt + u.tokens_completion;
		u.tokens_estimated = true;
		u.completion_time_ms = ms_between(&t0, &t1);
		u.time_to_first_token_ms = u.completion_time_ms;
		free(ask);
	} else {
		struct llm_message msg;
		struct llm_request rq;
		struct llm_result lr;
		char *ask = proposal_section_prompt(proposal, s);

		msg.role = "user";
		msg.content = ask;
		memset(&rq, 0, sizeof rq);
		rq.model = model;
		rq.msgs = &msg;
		rq.nmsgs = 1;
		rq.tools = false;
		(void)db_release(w->db);	/* no connection held while the model writes */
		(void)llm_complete(w, &rq, NULL, &lr);
		free(ask);
		u.tokens_prompt = lr.tokens_prompt;
		u.tokens_completion = lr.tokens_completion;
		u.tokens_total = lr.tokens_total;
		u.tokens_estimated = lr.tokens_estimated;
		u.completion_time_ms = lr.completion_time_ms;
		u.time_to_first_token_ms = lr.time_to_first_token_ms;
		if (lr.status == LLM_ERROR) {
			snprintf(res->error, sizeof res->error, "%s", lr.error);
		} else {
			text = model_text(lr.text, info->title);
			if (text[0] == '\0') {
				free(text);
				text = NULL;
				snprintf(res->error, sizeof res->error, "The model answered with no text.");
			}
		}
		free(lr.text);
	}

	if (text == NULL) {
		u.error = res->error;
		if (proposals_usage_add(w->db, user_id, id, s, &u) != DB_OK)
			log_warn("proposal %s: the usage of a failed %s request was not recorded",
			    id, info->name);
		log_info("proposal %s: %s could not be written with %s", id, info->name, model);
		res->status = PW_MODEL_FAILED;
		return res->status;
	}
	e = proposals_section_put(w->db, user_id, id, s, text, model, NULL, &sec);
	free(text);
	if (e != DB_OK) {
		res->status = PW_STORE_FAILED;
		res->db = e;
		return res->status;
	}
	if (proposals_usage_add(w->db, user_id, id, s, &u) != DB_OK)
		log_warn("proposal %s: the usage of writing %s was not recorded", id, info->name);
	if (out != NULL)
		*out = sec;
	else
		json_object_put(sec);
	res->status = PW_OK;
	return res->status;
}

enum pw_status
proposal_write_sections(struct worker *w, const char *user_id, struct json_object *proposal,
    unsigned which, size_t *written, struct pw_result *res)
{
	*written = 0;
	memset(res, 0, sizeof *res);
	for (int s = 0; s < PS__MAX; s++) {
		if (!(which & (1u << s)))
			continue;
		if (proposal_write_section(w, user_id, proposal, (enum proposal_section)s, NULL,
		    res) != PW_OK) {
			if (res->status == PW_MODEL_FAILED) {
				char why[sizeof res->error];

				snprintf(why, sizeof why, "%s", res->error);
				snprintf(res->error, sizeof res->error,
				    "The %.40s section could not be written: %.300s",
				    proposal_section((enum proposal_section)s)->title, why);
			}
			return res->status;
		}
		(*written)++;
	}
	return PW_OK;
}
