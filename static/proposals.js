// Parley: comfort for the proposal pages (/proposals/{id}).
//
// The pages work without this file: Preview posts the form and the server
// renders the preview, and the browser's own print command prints the
// document.  With it, Preview asks the server for the safe HTML of the
// Markdown in place (and keeps it current while typing), and a button
// opens the print dialog.  No inline handlers: the CSP forbids them.
(function () {
	"use strict";

	var DEBOUNCE_MS = 400;

	// /proposals/{id}/sections/{name} -> id
	function proposalId(form) {
		var m = /\/proposals\/([0-9a-fA-F-]{36})\//.exec(form.getAttribute("action") || "");
		return m ? m[1] : null;
	}

	function csrf(form) {
		var input = form.querySelector("input[name=csrf_token]");
		return input ? input.value : "";
	}

	// Asks the server to render text; calls done(html) or shows why not.
	function render(form, text, out) {
		var id = proposalId(form);
		if (!id)
			return;
		fetch("/api/v1/proposals/" + id + "/preview", {
			method: "POST",
			credentials: "same-origin",
			headers: {
				"Content-Type": "application/json",
				"Accept": "application/json",
				"X-CSRF-Token": csrf(form)
			},
			body: JSON.stringify({ content: text })
		}).then(function (res) {
			return res.json().then(function (body) {
				return { ok: res.ok, body: body };
			});
		}).then(function (r) {
			if (r.ok && r.body && typeof r.body.html === "string") {
				// Safe HTML: cmark in safe mode, made by the server.
				out.innerHTML = r.body.html;
			} else {
				out.textContent = (r.body && r.body.error && r.body.error.message) ||
				    "The preview is not available right now.";
			}
		}).catch(function () {
			out.textContent = "The preview is not available right now.";
		});
	}

	function initPreview() {
		var forms = document.querySelectorAll("form[data-section-form]");
		Array.prototype.forEach.call(forms, function (form) {
			var source = form.querySelector("[data-preview-source]");
			var button = form.querySelector("[data-preview-button]");
			var out = form.querySelector("[data-preview]");
			var timer = null, live = false;

			if (!source || !button || !out)
				return;
			button.addEventListener("click", function (ev) {
				ev.preventDefault();
				live = true;
				render(form, source.value, out);
			});
			source.addEventListener("input", function () {
				if (!live)
					return;
				if (timer)
					clearTimeout(timer);
				timer = setTimeout(function () {
					timer = null;
					render(form, source.value, out);
				}, DEBOUNCE_MS);
			});
		});
	}

	function initPrint() {
		var buttons = document.querySelectorAll("[data-print]");
		Array.prototype.forEach.call(buttons, function (b) {
			b.hidden = false;
			b.addEventListener("click", function () {
				window.print();
			});
		});
	}

	function init() {
		initPreview();
		initPrint();
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", init);
	else
		init();
})();
