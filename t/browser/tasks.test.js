// tasks.test.js: the todo list in a real browser: add, tick, edit and delete a task, in place
// with JavaScript and with plain form posts without it. Run by t/0290-browser-tasks.t.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('./lib.js');

const stamp = Date.now();
let b;
let page;
let navigations = 0;

// Signs the browser context in as a new person through the API (the accounts tests cover the forms).
async function register(context, who) {
	const res = await context.request.post(lib.url('/api/v1/auth/register'), {
		data: { email: `${who}-${stamp}@example.com`, password: 'a browser password', name: who },
	});
	assert.equal(res.status(), 201, `${who} is registered`);
}

// The number in a filter link's badge.
async function count(p, name) {
	return Number(await p.locator(`[data-count="${name}"]`).textContent());
}

async function counts(p) {
	return [await count(p, 'all'), await count(p, 'pending'), await count(p, 'completed')];
}

// The person's tasks as the API has them, by title.
async function stored(p) {
	const res = await p.context().request.get(lib.url('/api/v1/tasks'));
	assert.equal(res.status(), 200);
	const byTitle = {};
	for (const t of (await res.json()).items)
		byTitle[t.title] = t;
	return byTitle;
}

function task(p, title) {
	return p.locator('li.task', { has: p.locator('.task-title', { hasText: title }) });
}

async function titles(p) {
	return p.locator('[data-task-list] .task-title').allTextContents();
}

// Adds a task with the page's add form (a real form post) and waits for the list again.
async function add(p, title, description = '') {
	const res = await lib.submitForm(p, 'form[action="/tasks"]', { title, description });
	assert.equal(res.status(), 200);
}

before(async () => {
	b = await lib.launch();
	page = await b.newPage();
	page.on('framenavigated', (frame) => {
		if (frame === page.mainFrame())
			navigations++;
	});
	await register(b.context, 'tasks');
});

after(async () => {
	if (b)
		await b.close();
});

test('a new list shows the first-use hint', async () => {
	const res = await lib.go(page, '/tasks');
	assert.equal(res.status(), 200);
	assert.equal(await page.locator('h1').textContent(), 'Tasks');
	assert.ok(await page.locator('[data-empty="first"]').isVisible(), 'the hint is shown');
	assert.match(await page.locator('[data-empty="first"]').textContent(), /Your todo list is empty/);
	assert.equal(await page.locator('[data-task-list]').isVisible(), false, 'no empty box');
	assert.deepEqual(await counts(page), [0, 0, 0]);
	lib.assertNoConsoleErrors(page);
});

test('adding a task with the form lists it and updates the counts', async () => {
	await add(page, 'Buy milk', 'Two litres');
	assert.match(lib.pathOf(page), /^\/tasks\?msg=added$/);
	assert.equal(await page.getByRole('status').filter({ hasText: 'Task added.' }).count(), 1);
	await add(page, 'Call Bob');
	assert.deepEqual(await titles(page), ['Call Bob', 'Buy milk'], 'newest first');
	assert.equal(await task(page, 'Buy milk').locator('.task-desc').textContent(), 'Two litres');
	assert.deepEqual(await counts(page), [2, 2, 0]);
	assert.equal(await page.locator('[data-empty="first"]').isVisible(), false, 'the hint is gone');
	lib.assertNoConsoleErrors(page);
});

test('an empty title is refused by the server, with the message by the field', async () => {
	await page.locator('form[action="/tasks"]').evaluate((f) => { f.noValidate = true; });
	const res = await lib.submitForm(page, 'form[action="/tasks"]', {
		title: '   ', description: 'Keep me',
	});
	assert.equal(res.status(), 422);
	lib.allowStatus(page, '/tasks', 422);
	assert.equal(await page.locator('#new-title').getAttribute('aria-invalid'), 'true');
	assert.match(await page.locator('#new-title-error').textContent(), /Title is required/);
	assert.equal(await page.locator('#new-description').inputValue(), 'Keep me');
	assert.deepEqual(await counts(page), [2, 2, 0], 'nothing was added');
	lib.assertNoConsoleErrors(page);
});

test('ticking the checkbox completes the task in place', async () => {
	await lib.go(page, '/tasks');
	const milk = task(page, 'Buy milk');
	assert.equal(await milk.locator('[data-task-toggle-button]').count(), 0,
	    'with JavaScript the checkbox replaces the button');
	const before = navigations;
	await milk.locator('[data-task-check]').check();
	await page.locator('li.task.done', { hasText: 'Buy milk' }).waitFor();
	assert.equal(navigations, before, 'no page load');
	assert.deepEqual(await counts(page), [2, 1, 1]);
	assert.deepEqual(await titles(page), ['Call Bob', 'Buy milk'], 'completed after pending');
	assert.equal((await stored(page))['Buy milk'].completed, true, 'the server has it completed');

	// Completed ones are newest first too.
	await task(page, 'Call Bob').locator('[data-task-check]').check();
	await page.locator('li.task.done', { hasText: 'Call Bob' }).waitFor();
	assert.deepEqual(await titles(page), ['Call Bob', 'Buy milk']);
	assert.deepEqual(await counts(page), [2, 0, 2]);

	await task(page, 'Buy milk').locator('[data-task-check]').uncheck();
	await page.locator('li.task:not(.done)', { hasText: 'Buy milk' }).waitFor();
	assert.deepEqual(await titles(page), ['Buy milk', 'Call Bob'], 'the reopened task moves up');
	assert.deepEqual(await counts(page), [2, 1, 1]);
	assert.equal((await stored(page))['Buy milk'].completed, false);
	assert.equal(navigations, before, 'still no page load');

	// A reload shows what the server has, in the same order.
	await lib.go(page, '/tasks');
	assert.deepEqual(await titles(page), ['Buy milk', 'Call Bob']);
	assert.equal(await task(page, 'Call Bob').locator('[data-task-check]').isChecked(), true);
	lib.assertNoConsoleErrors(page);
});

test('on the pending filter a ticked task leaves the list', async () => {
	await lib.go(page, '/tasks?filter=pending');
	assert.deepEqual(await titles(page), ['Buy milk']);
	// click, not check(): the box leaves the page before check() could look at it.
	await task(page, 'Buy milk').locator('[data-task-check]').click();
	await task(page, 'Buy milk').waitFor({ state: 'detached' });
	assert.ok(await page.locator('[data-empty="filter"]').isVisible(), 'the filter hint shows');
	assert.match(await page.locator('[data-empty="filter"]').textContent(), /Nothing left to do/);
	assert.deepEqual(await counts(page), [2, 0, 2]);
	await lib.navigate(page, () => page.locator('[data-filter-link="all"]').click());
	assert.equal(lib.pathOf(page), '/tasks');
	await task(page, 'Buy milk').locator('[data-task-check]').uncheck();
	await page.locator('li.task:not(.done)', { hasText: 'Buy milk' }).waitFor();
	lib.assertNoConsoleErrors(page);
});

test('editing the title and description saves and returns to the same filter', async () => {
	await lib.go(page, '/tasks?filter=pending');
	const milk = task(page, 'Buy milk');
	await milk.locator('summary').click();
	await milk.locator('input[name="title"]').fill('Buy oat milk');
	await milk.locator('textarea[name="description"]').fill('From the corner shop');
	await lib.navigate(page, () => milk.getByRole('button', { name: 'Save' }).click());
	assert.equal(lib.pathOf(page), '/tasks?filter=pending&msg=saved');
	assert.equal(await page.getByRole('status').filter({ hasText: 'Task saved.' }).count(), 1);
	const oat = task(page, 'Buy oat milk');
	assert.equal(await oat.locator('.task-desc').textContent(), 'From the corner shop');
	const t = (await stored(page))['Buy oat milk'];
	assert.ok(t, 'the server has the new title');
	assert.equal(t.description, 'From the corner shop');
	assert.notEqual(t.updated_at, t.created_at, 'updated_at moved');
	lib.assertNoConsoleErrors(page);
});

test('deleting asks first, and removes the task in place', async () => {
	await lib.go(page, '/tasks');
	const before = navigations;
	let asked = '';
	page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
	await task(page, 'Buy oat milk').locator('[data-task-delete]').click();
	assert.match(asked, /Delete “Buy oat milk”\?/);
	assert.equal(await task(page, 'Buy oat milk').count(), 1, 'cancelling keeps it');
	assert.ok((await stored(page))['Buy oat milk'], 'on the server too');

	page.once('dialog', (d) => d.accept());
	await task(page, 'Buy oat milk').locator('[data-task-delete]').click();
	await task(page, 'Buy oat milk').waitFor({ state: 'detached' });
	assert.equal(navigations, before, 'no page load');
	assert.deepEqual(await counts(page), [1, 0, 1]);
	assert.equal((await stored(page))['Buy oat milk'], undefined, 'the server deleted it');

	page.once('dialog', (d) => d.accept());
	await task(page, 'Call Bob').locator('[data-task-delete]').click();
	await task(page, 'Call Bob').waitFor({ state: 'detached' });
	assert.deepEqual(await counts(page), [0, 0, 0]);
	assert.ok(await page.locator('[data-empty="first"]').isVisible(), 'the first-use hint is back');
	assert.equal(await page.locator('[data-task-list]').isVisible(), false);
	lib.assertNoConsoleErrors(page);
});

test('without JavaScript, adding, ticking, editing and deleting work as form posts', async () => {
	const nojs = await lib.launch({ javaScriptEnabled: false });
	try {
		await register(nojs.context, 'nojs');
		const p = await nojs.newPage();
		await lib.go(p, '/tasks?filter=pending');
		await add(p, 'Plain task');
		assert.equal(lib.pathOf(p), '/tasks?filter=pending&msg=added');

		const plain = task(p, 'Plain task');
		assert.equal(await plain.locator('[data-task-check]').isVisible(), false,
		    'the checkbox stays hidden without JavaScript');
		await lib.navigate(p, () => plain.getByRole('button', { name: /Mark done/ }).click());
		assert.equal(lib.pathOf(p), '/tasks?filter=pending&msg=done');
		assert.equal(await task(p, 'Plain task').count(), 0, 'it left the pending list');
		assert.deepEqual(await counts(p), [1, 0, 1]);

		await lib.go(p, '/tasks?filter=completed');
		const done = task(p, 'Plain task');
		await done.locator('summary').click();
		await done.locator('input[name="title"]').fill('Plain task, edited');
		await lib.navigate(p, () => done.getByRole('button', { name: 'Save' }).click());
		assert.equal(lib.pathOf(p), '/tasks?filter=completed&msg=saved');

		await lib.navigate(p, () => task(p, 'Plain task, edited').locator('[data-task-delete]').click());
		assert.match(lib.pathOf(p), /^\/tasks\/[0-9a-f-]{36}\/delete\?filter=completed$/);
		assert.equal(await p.locator('h1').textContent(), 'Delete this task?');
		await lib.navigate(p, () => p.getByRole('button', { name: 'Delete task' }).click());
		assert.equal(lib.pathOf(p), '/tasks?filter=completed&msg=deleted');
		assert.deepEqual(await counts(p), [0, 0, 0]);
		assert.equal(Object.keys(await stored(p)).length, 0, 'the server has no tasks left');
		lib.assertNoConsoleErrors(p);
	} finally {
		await nojs.close();
	}
});
