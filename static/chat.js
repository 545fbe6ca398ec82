// Parley: answers that stream into the conversation page.
//
// /chat/{id} works without this file: the composer posts a form and the
// server answers with the whole answer.  With it, sending goes to the JSON
// API with "stream": true and the Server-Sent Events in the response body
// are read as they come (fetch + ReadableStream + TextDecoder): the person's
// message shows at once, the answer grows as plain text in the live region,
// and when it ends the server's own rendering of it (Markdown, receipt, task
// actions) replaces the plain text.  An answer still being written when the
// page opens is followed to its end through .../messages/{mid}/events.
// The CSRF token comes from the data-csrf attribute (no inline script: the
// Content-Security-Policy forbids it).
(function () {
	"use strict";

	// Reads a text/event-stream body, calling onEvent(name, data) for each
	// event.  Resolves when the body ends; lines may end in \n, \r\n or \r.
	function readEvents(res, onEvent) {
		var reader = res.body.getReader();
		var decoder = new TextDecoder();
		var pending = "", name = "", data = [], hasData = false;

		function line(l) {
			if (l === "") {
				if (hasData)
					onEvent(name || "message", data.join("\n"));
				name = "";
				data = [];
				hasData = false;
				return;
			}
			if (l.charAt(0) === ":")
				return;
			var i = l.indexOf(":");
			var field = i < 0 ? l : l.slice(0, i);
			var value = i < 0 ? "" : l.slice(i + 1);
			if (value.charAt(0) === " ")
				value = value.slice(1);
			if (field === "event")
				name = value;
			else if (field === "data") {
				data.push(value);
				hasData = true;
			}
		}

		function lines(final) {
			var m, re = /\r\n|\n|\r/g, start = 0;
			while ((m = re.exec(pending)) !== null) {
				// A "\r" at the very end may be half of a "\r\n".
				if (!final && m[0] === "\r" && m.index === pending.length - 1)
					break;
				line(pending.slice(start, m.index));
				start = m.index + m[0].length;
			}
			pending = pending.slice(start);
			if (final && pending !== "") {
				line(pending);
				pending = "";
			}
		}

		function pump() {
			return reader.read().then(function (r) {
				if (r.done) {
					pending += decoder.decode();
					lines(true);
					line("");
					return;
				}
				pending += decoder.decode(r.value, { stream: true });
				lines(false);
				return pump();
			});
		}
		return pump();
	}

	function parse(text) {
		try {
			return JSON.parse(text);
		} catch (e) {
			return null;
		}
	}

	// The message of an error answer from the API, in any of its shapes.
	function errorText(j, fallback) {
		if (j && j.error && typeof j.error === "object" && j.error.message)
			return j.error.message;
		if (j && typeof j.error === "string" && j.error)
			return j.error;
		if (j && j.message)
			return j.message;
		return fallback;
	}

	function init() {
		var root = document.querySelector("[data-chat]");
		if (!root || !window.fetch || !window.TextDecoder || !window.ReadableStream)
			return;
		var list = root.querySelector("[data-messages]");
		var composer = root.querySelector("[data-composer]");
		if (!list || !composer)
			return;
		var convId = root.getAttribute("data-conversation-id") || "";
		var csrf = root.getAttribute("data-csrf") || "";
		var textarea = composer.querySelector("textarea[name=content]");
		var select = composer.querySelector("select[name=model]");
		var sendButton = composer.querySelector("[data-send]");
		var stopForm = root.querySelector("[data-stop-form]");
		var stopButton = stopForm ? stopForm.querySelector("[data-stop]") : null;
		var regenForm = root.querySelector("[data-regenerate]");
		var status = root.querySelector("[data-chat-status]");
		var hint = root.querySelector("[data-composer-hint]");
		var defaultEl = root.querySelector("[data-default-model]");
		var api = "/api/v1/conversations/" + encodeURIComponent(convId);
		var busy = null;	// {mid, li, text} while an answer is written

		if (hint)
			hint.textContent = "Enter sends; Shift+Enter starts a new line.";

		function say(text) {
			if (status)
				status.textContent = text;
		}

		function post(url, body, accept) {
			return fetch(url, {
				method: "POST",
				credentials: "same-origin",
				headers: {
					"Content-Type": "application/json",
					"Accept": accept || "application/json",
					"X-CSRF-Token": csrf
				},
				body: JSON.stringify(body || {})
			});
		}

		function nearBottom() {
			var el = document.scrollingElement || document.documentElement;
			return window.innerHeight + window.pageYOffset >= el.scrollHeight - 160;
		}

		function reveal(el, force) {
			if (el && (force || nearBottom()))
				el.scrollIntoView({ block: "end" });
		}

		function hideEmpty() {
			var empty = root.querySelector("[data-empty]");
			if (empty)
				empty.hidden = true;
		}

		function meta(who, extra) {
			var div = document.createElement("div");
			div.className = "msg-meta";
			var strong = document.createElement("strong");
			strong.textContent = who;
			div.appendChild(strong);
			(extra || []).forEach(function (node) {
				div.appendChild(document.createTextNode(" "));
				div.appendChild(node);
			});
			return div;
		}

		function span(text, cls) {
			var s = document.createElement("span");
			if (cls)
				s.className = cls;
			s.textContent = text;
			return s;
		}

		// The person's message, shown before the server has answered.
		function userItem(text) {
			var li = document.createElement("li");
			li.className = "msg user";
			li.setAttribute("data-role", "user");
			li.appendChild(meta("You", [span("just now")]));
			var body = document.createElement("div");
			body.className = "msg-body";
			body.textContent = text;
			li.appendChild(body);
			return li;
		}

		// An answer being written: plain text that grows.
		function answerItem(id, model) {
			var li = document.createElement("li");
			li.className = "msg assistant streaming";
			if (id) {
				li.id = id;
				li.setAttribute("data-message-id", id);
			}
			li.setAttribute("data-role", "assistant");
			li.setAttribute("data-status", "streaming");
			li.tabIndex = -1;
			li.appendChild(meta("Assistant", [span(model || ""),
			    span("writing…", "badge badge-accent")]));
			var text = document.createElement("div");
			text.className = "stream-text";
			text.setAttribute("data-stream-text", "");
			li.appendChild(text);
			return li;
		}

		// A failure that left no stored answer to show.
		function errorItem(message) {
			var li = document.createElement("li");
			li.className = "msg assistant error";
			li.setAttribute("data-role", "assistant");
			li.appendChild(meta("Assistant"));
			var p = document.createElement("p");
			p.className = "msg-error";
			p.setAttribute("role", "alert");
			var strong = document.createElement("strong");
			strong.textContent = "The message was not answered:";
			p.appendChild(strong);
			p.appendChild(document.createTextNode(" " + message));
			li.appendChild(p);
			return li;
		}

		function setBusy(state) {
			busy = state;
			list.setAttribute("aria-busy", state ? "true" : "false");
			if (sendButton)
				sendButton.disabled = !!state;
			if (stopForm) {
				stopForm.hidden = !(state && state.mid);
				if (state && state.mid)
					stopForm.action = "/chat/" + encodeURIComponent(convId) +
					    "/messages/" + encodeURIComponent(state.mid) + "/stop";
			}
			if (stopButton)
				stopButton.disabled = false;
			if (regenForm && state)
				regenForm.hidden = true;
		}

		// Focus goes back to the composer when the control that had it went away.
		function refocus() {
			var a = document.activeElement;
			if (!a || a === document.body || (stopForm && stopForm.contains(a)) ||
			    (regenForm && regenForm.contains(a)) || !document.contains(a))
				textarea.focus();
		}

		// The conversation's title may have been made by the first exchange.
		function refreshTitle() {
			fetch(api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
			    .then(function (res) {
				return res.ok ? res.json() : null;
			}).then(function (conv) {
				if (!conv || !conv.title)
					return;
				var h1 = root.querySelector("[data-conversation-title]");
				if (h1 && h1.textContent !== conv.title) {
					h1.textContent = conv.title;
					document.title = conv.title + " · Parley";
				}
				var item = document.querySelector('[data-conv-list] [data-conversation-id="' +
				    convId + '"]');
				if (item) {
					var t = item.querySelector("[data-conv-title]");
					if (t)
						t.textContent = conv.title;
					// Most recently active first.
					if (item.parentNode && item.parentNode.firstElementChild !== item)
						item.parentNode.insertBefore(item, item.parentNode.firstElementChild);
				}
			}).catch(function () {});
		}

		// Swaps the plain text for the server's rendering of the stored answer.
		function finish(li, mid, msg) {
			var url = "/chat/" + encodeURIComponent(convId) + "/messages/" +
			    encodeURIComponent(mid) + "?fragment=1";
			return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
			    .then(function (res) {
				if (!res.ok)
					throw new Error("fragment " + res.status);
				return res.text();
			}).then(function (html) {
				var tpl = document.createElement("template");
				tpl.innerHTML = html.trim();
				var fresh = tpl.content.querySelector("li.msg");
				if (!fresh)
					throw new Error("empty fragment");
				return fresh;
			}).catch(function () {
				// The done event's own copy: stored, already safe HTML.
				li.classList.remove("streaming");
				if (msg && msg.content_html) {
					var text = li.querySelector("[data-stream-text]");
					var md = document.createElement("div");
					md.className = "markdown";
					md.innerHTML = msg.content_html;
					if (text)
						text.replaceWith(md);
				}
				return li;
			}).then(function (fresh) {
				var follow = nearBottom();
				if (fresh !== li && li.parentNode)
					li.replaceWith(fresh);
				setBusy(null);
				if (regenForm)
					regenForm.hidden = false;
				var st = fresh.getAttribute("data-status");
				say(st === "error" ? "The answer failed." :
				    st === "stopped" ? "The answer was stopped." : "The answer is complete.");
				reveal(fresh, follow);
				refocus();
				refreshTitle();
			});
		}

		// Handles the events of one answer (a new message, a regeneration,
		// or following one).  pendingUser: the person's message shown early.
		function handler(state, pendingUser) {
			return function (name, text) {
				var j = parse(text);
				if (name === "start") {
					var um = j && j.user_message, am = j && j.assistant_message;
					if (pendingUser && um && um.id) {
						pendingUser.id = um.id;
						pendingUser.setAttribute("data-message-id", um.id);
					}
					if (am && am.id && !state.li) {
						state.li = answerItem(am.id, am.model);
						list.appendChild(state.li);
						reveal(state.li, true);
					}
					if (am && am.id)
						state.mid = am.id;
					// Following: the first delta brings all the text so far and
					// replaces what the page showed (never shorter: it is read later).
					if (state.following && state.li)
						state.replaceNext = true;
					setBusy(state);
				} else if (name === "delta") {
					if (!state.li || !j || typeof j.content !== "string")
						return;
					var follow = nearBottom();
					var el = state.li.querySelector("[data-stream-text]");
					if (el && state.replaceNext)
						el.textContent = j.content;
					else if (el)
						el.appendChild(document.createTextNode(j.content));
					state.replaceNext = false;
					if (follow)
						reveal(state.li, true);
				} else if (name === "done") {
					state.ended = true;
					var mid = (j && j.id) || state.mid;
					if (state.li && mid)
						state.finishing = finish(state.li, mid, j);
				} else if (name === "error") {
					state.ended = true;
					var stored = j && j.assistant_message;
					if (state.li && stored && stored.id) {
						state.finishing = finish(state.li, stored.id, stored);
					} else {
						var li = errorItem(errorText(j, "Something went wrong."));
						if (state.li)
							state.li.replaceWith(li);
						else
							list.appendChild(li);
						setBusy(null);
						say("The answer failed.");
						reveal(li, true);
						refocus();
					}
				}
			};
		}

		// Follows an answer that is being written until its end.
		function follow(state) {
			state.following = true;
			setBusy(state);
			var url = api + "/messages/" + encodeURIComponent(state.mid) + "/events";
			return fetch(url, {
				credentials: "same-origin",
				headers: { "Accept": "text/event-stream" }
			}).then(function (res) {
				if (!res.ok || !res.body)
					throw new Error("events " + res.status);
				return readEvents(res, handler(state, null));
			}).then(function () {
				if (!state.ended)
					throw new Error("the stream ended early");
			}).catch(function () {
				if (state.ended)
					return;
				// The server keeps writing; a reload shows where it got to.
				setBusy(null);
				say("Lost touch with the answer. Reload the page to see it.");
			});
		}

		// After a stream that broke before its end: the answer goes on on
		// the server, so follow it there.
		function streamEnded(state) {
			if (state.ended)
				return;
			if (state.mid && state.li) {
				follow(state);
				return;
			}
			setBusy(null);
			var li = errorItem("The connection to the server was lost. Reload the page to see whether the answer arrived.");
			list.appendChild(li);
			refocus();
		}

		function showComposerError(message) {
			var old = composer.querySelector("[data-composer-error]");
			if (old)
				old.remove();
			if (!message) {
				textarea.removeAttribute("aria-invalid");
				return;
			}
			var p = document.createElement("p");
			p.className = "field-error";
			p.id = "composer-error";
			p.setAttribute("role", "alert");
			p.setAttribute("data-composer-error", "");
			p.textContent = message;
			textarea.insertAdjacentElement("afterend", p);
			textarea.setAttribute("aria-invalid", "true");
			textarea.setAttribute("aria-describedby", "composer-hint composer-error");
		}

		// One streamed request: a new message (opts.user: the message shown
		// early, opts.text: what was typed) or a regeneration (opts.removed:
		// the answer it replaces, put back if the server refuses).
		function stream(url, body, opts) {
			var pendingUser = opts.user || null;
			var state = { mid: null, li: null, ended: false };
			setBusy(state);
			say("Writing the answer…");
			body.stream = true;
			post(url, body, "text/event-stream").then(function (res) {
				var type = res.headers.get("Content-Type") || "";
				if (!res.ok || type.indexOf("text/event-stream") !== 0) {
					return res.json().catch(function () {
						return null;
					}).then(function (j) {
						var why = errorText(j, "The server answered " + res.status + ".");
						if (pendingUser)
							pendingUser.remove();
						if (opts.text !== undefined && textarea.value === "")
							textarea.value = opts.text;
						if (opts.removed)
							list.appendChild(opts.removed);
						setBusy(null);
						if (regenForm && opts.removed)
							regenForm.hidden = false;
						showComposerError(why);
						say(why);
						textarea.focus();
					});
				}
				return readEvents(res, handler(state, pendingUser)).then(function () {
					streamEnded(state);
				});
			}).catch(function () {
				streamEnded(state);
			});
		}

		function sendMessage() {
			if (busy) {
				say("Wait for the answer to end, or stop it, before sending the next message.");
				return;
			}
			var content = textarea.value;
			if (content.trim() === "") {
				showComposerError("Write a message first.");
				textarea.focus();
				return;
			}
			showComposerError(null);
			var body = { content: content };
			var def = defaultEl ? defaultEl.textContent : "";
			if (select && select.value && select.value !== def)
				body.model = select.value;
			var li = userItem(content);
			hideEmpty();
			list.appendChild(li);
			reveal(li, true);
			textarea.value = "";
			textarea.focus();
			stream(api + "/messages", body, { user: li, text: content });
		}

		composer.addEventListener("submit", function (ev) {
			ev.preventDefault();
			sendMessage();
		});

		textarea.addEventListener("keydown", function (ev) {
			if (ev.key !== "Enter" || ev.shiftKey || ev.ctrlKey || ev.altKey ||
			    ev.metaKey || ev.isComposing)
				return;
			ev.preventDefault();
			sendMessage();
		});

		if (regenForm) {
			regenForm.addEventListener("submit", function (ev) {
				ev.preventDefault();
				if (busy)
					return;
				// The newest answer is replaced by the new one.
				var items = list.querySelectorAll("li.msg");
				var last = items.length ? items[items.length - 1] : null;
				if (last && last.getAttribute("data-role") === "assistant")
					last.remove();
				else
					last = null;
				showComposerError(null);
				stream(api + "/regenerate", {}, { removed: last });
			});
		}

		if (stopForm) {
			stopForm.addEventListener("submit", function (ev) {
				ev.preventDefault();
				if (!busy || !busy.mid)
					return;
				if (stopButton)
					stopButton.disabled = true;
				say("Stopping…");
				post(api + "/messages/" + encodeURIComponent(busy.mid) + "/stop", {})
				    .then(function (res) {
					if (!res.ok && stopButton)
						stopButton.disabled = false;
				}).catch(function () {
					if (stopButton)
						stopButton.disabled = false;
				});
				// The stream itself ends with the stopped answer.
			});
		}

		// An answer already being written when the page opened.
		var streaming = list.querySelector('li[data-status="streaming"]');
		if (streaming && streaming.id)
			follow({ mid: streaming.id, li: streaming, ended: false });
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", init);
	else
		init();
})();
