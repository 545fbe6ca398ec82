// Parley: the todo list without page loads.
//
// The /tasks page works with plain forms; this file only improves it.
// Ticking a task's checkbox and deleting a task (after a confirmation) go
// to the JSON API with fetch, and the list, the counts and the empty-state
// hints are updated in place.  When a call fails, the plain form path takes
// over, so the person gets the server's own page instead of a silent error.
// The CSRF token comes from the list's data-csrf attribute (no inline
// script: the Content-Security-Policy forbids it).
(function () {
	"use strict";

	function init() {
		var root = document.querySelector("[data-tasks]");
		if (!root || !window.fetch)
			return;
		var list = root.querySelector("[data-task-list]");
		if (!list)
			return;
		var csrf = root.getAttribute("data-csrf") || "";
		var filter = root.getAttribute("data-filter") || "all";
		var status = root.querySelector("[data-tasks-status]");

		// The checkbox replaces the Done button.  The button is removed
		// rather than hidden: .btn sets a display that beats [hidden].
		function enhance(li) {
			var check = li.querySelector("[data-task-check]");
			var button = li.querySelector("[data-task-toggle-button]");
			if (!check)
				return;
			check.hidden = false;
			if (button)
				button.remove();
		}
		Array.prototype.forEach.call(list.querySelectorAll("[data-task-id]"), enhance);

		// One call to /api/v1/tasks/{id}; resolves with the JSON answer
		// (null for 204), rejects with an Error carrying the status.
		function api(method, id, body) {
			var opts = {
				method: method,
				credentials: "same-origin",
				headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
			};
			if (body !== undefined) {
				opts.headers["Content-Type"] = "application/json";
				opts.body = JSON.stringify(body);
			}
			return fetch("/api/v1/tasks/" + encodeURIComponent(id), opts).then(function (res) {
				if (res.status === 204)
					return null;
				return res.json().catch(function () {
					return null;
				}).then(function (j) {
					if (!res.ok) {
						var err = new Error(j && j.error && j.error.message ?
						    j.error.message : "The server answered " + res.status + ".");
						err.status = res.status;
						throw err;
					}
					return j;
				});
			});
		}

		function countEl(name) {
			return root.querySelector('[data-count="' + name + '"]');
		}

		function count(name) {
			var el = countEl(name);
			return el ? parseInt(el.textContent, 10) || 0 : 0;
		}

		function addCount(name, delta) {
			var el = countEl(name);
			if (el)
				el.textContent = String(Math.max(0, count(name) + delta));
		}

		function announce(text) {
			if (status)
				status.textContent = text;
		}

		function items() {
			return list.querySelectorAll("[data-task-id]");
		}

		// Shows the list, or the right hint when it became empty.
		function showEmpty() {
			var any = items().length > 0;
			var first = root.querySelector('[data-empty="first"]');
			var other = root.querySelector('[data-empty="filter"]');
			list.hidden = !any;
			if (first)
				first.hidden = any || count("all") > 0;
			if (other)
				other.hidden = any || count("all") === 0;
		}

		function isDone(li) {
			return li.getAttribute("data-completed") === "true";
		}

		function shows(completed) {
			return filter === "all" || (filter === "completed") === completed;
		}

		// Puts li where the server would list it: pending before
		// completed, newest first (ISO times compare as strings).
		function place(li) {
			var done = isDone(li);
			var created = li.getAttribute("data-created") || "";
			var all = items();
			for (var i = 0; i < all.length; i++) {
				var other = all[i];
				if (other === li)
					continue;
				var otherDone = isDone(other);
				if ((!done && otherDone) || (done === otherDone &&
				    (other.getAttribute("data-created") || "") < created)) {
					list.insertBefore(li, other);
					return;
				}
			}
			list.appendChild(li);
		}

		// Moves focus off an item that is about to leave the list.
		function focusAfterRemoval(li) {
			var next = li.nextElementSibling || li.previousElementSibling;
			var target = next ? next.querySelector("[data-task-check], a, button") : null;
			if (!target)
				target = document.getElementById("new-title");
			if (target)
				target.focus();
		}

		function setDone(li, done) {
			var hidden = li.querySelector('input[name="completed"]');
			var state = li.querySelector("[data-task-state]");
			var check = li.querySelector("[data-task-check]");
			li.setAttribute("data-completed", done ? "true" : "false");
			li.classList.toggle("done", done);
			if (hidden)
				hidden.value = done ? "0" : "1";
			if (state)
				state.textContent = done ? " · done" : "";
			if (check)
				check.checked = done;
		}

		function titleOf(li) {
			var t = li.querySelector(".task-title");
			return t ? t.textContent : "the task";
		}

		list.addEventListener("change", function (ev) {
			var check = ev.target;
			if (!(check instanceof Element) || !check.hasAttribute("data-task-check"))
				return;
			var li = check.closest("[data-task-id]");
			var want = check.checked;
			var was = isDone(li);
			check.disabled = true;
			api("PATCH", li.getAttribute("data-task-id"), { completed: want }).then(function (task) {
				check.disabled = false;
				if (task.completed !== was) {
					addCount("pending", task.completed ? -1 : 1);
					addCount("completed", task.completed ? 1 : -1);
				}
				setDone(li, task.completed);
				if (shows(task.completed)) {
					place(li);
					check.focus();
				} else {
					focusAfterRemoval(li);
					li.remove();
				}
				showEmpty();
				announce((task.completed ? "Done: " : "Not done: ") + task.title);
			}).catch(function () {
				// Let the server's page say what went wrong.
				var form = check.form;
				var hidden = form.querySelector('input[name="completed"]');
				hidden.value = want ? "1" : "0";
				form.submit();
			});
		});

		list.addEventListener("click", function (ev) {
			var link = ev.target instanceof Element ?
			    ev.target.closest("[data-task-delete]") : null;
			if (!link)
				return;
			ev.preventDefault();
			var li = link.closest("[data-task-id]");
			var title = titleOf(li);
			if (!window.confirm("Delete “" + title + "”? This cannot be undone."))
				return;
			api("DELETE", li.getAttribute("data-task-id")).then(function () {
				addCount("all", -1);
				addCount(isDone(li) ? "completed" : "pending", -1);
				focusAfterRemoval(li);
				li.remove();
				showEmpty();
				announce("Deleted: " + title);
			}).catch(function () {
				// The confirmation page deletes it the plain way.
				window.location.href = link.href;
			});
		});
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", init);
	else
		init();
})();
