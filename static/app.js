// Parley: progressive enhancement for the server-rendered pages.
//
// Every page works without this file.  Each feature is one small function
// that looks for its own elements and does nothing when they are absent;
// all of them are started from init() once the document is parsed (the
// script is loaded with defer).  No inline handlers anywhere: the
// Content-Security-Policy forbids inline script.
(function () {
	"use strict";

	// Forms or buttons carrying data-confirm="question" ask before they
	// submit.  One listener on the document covers elements added later.
	function initConfirm() {
		var hasSubmitter = typeof SubmitEvent !== "undefined" &&
		    "submitter" in SubmitEvent.prototype;

		document.addEventListener("submit", function (ev) {
			var form = ev.target;
			if (!(form instanceof HTMLFormElement))
				return;
			// The button that submitted wins over the form's own question.
			var submitter = ev.submitter || null;
			var question = null;
			if (submitter && submitter.hasAttribute("data-confirm"))
				question = submitter.getAttribute("data-confirm");
			else if (form.hasAttribute("data-confirm"))
				question = form.getAttribute("data-confirm");
			if (question === null)
				return;
			if (!window.confirm(question || "Are you sure?")) {
				ev.preventDefault();
				ev.stopImmediatePropagation();
			}
		}, true);

		// Links and non-submit buttons with data-confirm (and, in browsers
		// without SubmitEvent.submitter, submit buttons too).
		document.addEventListener("click", function (ev) {
			var el = ev.target instanceof Element ?
			    ev.target.closest("[data-confirm]") : null;
			if (!el || el instanceof HTMLFormElement)
				return;
			// Submit buttons are asked in the submit listener above, where
			// the browser tells which button submitted (older browsers do
			// not, so they are asked here instead).
			if (hasSubmitter && el.form &&
			    (el.type === "submit" || el.type === "image"))
				return;
			if (!window.confirm(el.getAttribute("data-confirm") || "Are you sure?")) {
				ev.preventDefault();
				ev.stopImmediatePropagation();
			}
		}, true);
	}

	function init() {
		initConfirm();
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", init);
	else
		init();
})();
