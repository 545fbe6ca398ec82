// chat.test.js: the chat in a real browser: answers stream in through chat.js and end with
// the server's rendering and stats line, Enter sends and Shift+Enter does not, Stop keeps the
// partial answer, an answer is followed after a reload, regenerate, a failing model's error,
// the builtin assistant adds a task, and the forms work without JavaScript. Run by
// t/0390-browser-chat.t, which starts t/fake_openai (model openai/fake-model) and passes
// FAKE_SCRIPT, the file of its next answers.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lib = require('./lib.js');

const email = `chat-${Date.now()}@example.com`;
const password = 'a chat test password';
let b;
let page;
let convPath;
let run = 0;

// The fake model's next answers, one step each (see t/fake_openai.c).
function script(...steps) {
	run += 1;
	// A new first line makes the fake start again from the first step.
	fs.writeFileSync(process.env.FAKE_SCRIPT, `# run ${run}\n${steps.join('\n')}\n`);
}

const lastAnswer = () => page.locator('ol[data-messages] > li.msg.assistant').last();
const composer = () => page.locator('form[data-composer]');
const textarea = () => page.locator('#field-content');

async function send(text, model) {
	if (model)
		await composer().locator('select[name="model"]').selectOption(model);
	await textarea().fill(text);
	await textarea().press('Enter');
}

// Resolves once the newest answer has its receipt (the server's rendering is in).
async function answered() {
	await page.locator('ol[data-messages] > li.msg.assistant:last-child [data-receipt]')
	    .waitFor({ state: 'visible', timeout: 20000 });
	await page.waitForFunction(() =>
	    document.querySelector('ol[data-messages]').getAttribute('aria-busy') === 'false');
}

before(async () => {
	b = await lib.launch();
	page = await b.newPage();
	await lib.go(page, '/register');
	const res = await lib.submitForm(page, 'form[action="/register"]', {
		email, name: 'Chat Person', password,
	});
	assert.equal(res.status(), 200);
	assert.equal(lib.pathOf(page), '/chat');
});

after(async () => {
	if (b)
		await b.close();
});

test('a first chat starts from the conversation list', async () => {
	assert.equal(await page.locator('[data-empty="first"] h3').textContent(), 'No conversations yet');
	const select = page.locator('#new-chat-model');
	assert.equal(await select.inputValue(), 'builtin/parley', 'the default model is picked');
	await lib.navigate(page, () => page.getByRole('button', { name: 'Start a new chat' }).click());
	convPath = lib.pathOf(page);
	assert.match(convPath, /^\/chat\/[0-9a-f-]{36}$/);
	assert.equal(await page.locator('h1').textContent(), 'New conversation');
	assert.equal(await page.locator('[data-composer-hint]').textContent(),
	    'Enter sends; Shift+Enter starts a new line.', 'chat.js took over the composer');
	lib.assertNoConsoleErrors(page);
});

test('an answer streams in as plain text, then shows its stats line', async () => {
	script('slow:150:Hello there, this answer arrives one word at a time.');
	// Watch the thread from inside the page: every state the answer goes through.
	await page.evaluate(() => {
		const log = document.querySelector('ol[data-messages]');
		window.seen = { busy: false, streaming: false, texts: [] };
		new MutationObserver(() => {
			if (log.getAttribute('aria-busy') === 'true')
				window.seen.busy = true;
			const s = log.querySelector('li.msg.assistant.streaming [data-stream-text]');
			if (s) {
				window.seen.streaming = true;
				const t = s.textContent;
				if (t && window.seen.texts[window.seen.texts.length - 1] !== t)
					window.seen.texts.push(t);
			}
		}).observe(log, { subtree: true, childList: true, characterData: true, attributes: true });
	});
	await send('Tell me something nice please', 'openai/fake-model');

	const user = page.locator('ol[data-messages] > li.msg.user').last();
	await user.waitFor();
	assert.equal(await user.locator('.msg-body').textContent(), 'Tell me something nice please',
	    'the question shows at once');
	assert.equal(await textarea().inputValue(), '', 'the composer is emptied');
	await page.locator('li.msg.assistant.streaming').waitFor({ timeout: 10000 });
	assert.equal(await page.locator('ol[data-messages]').getAttribute('aria-busy'), 'true',
	    'the live region is busy while the answer streams');
	assert.equal(await page.locator('form[data-stop-form]').isVisible(), true, 'Stop is offered');

	await answered();
	const seen = await page.evaluate(() => window.seen);
	assert.ok(seen.streaming, 'the answer was shown while it was written');
	assert.ok(seen.texts.length >= 3, `the text grew in steps (${seen.texts.length} seen)`);
	assert.ok(seen.texts.every((t, i) => i === 0 || t.startsWith(seen.texts[i - 1])),
	    'each step added to the last');

	const answer = lastAnswer();
	assert.equal(await answer.getAttribute('data-status'), 'complete');
	assert.equal(await answer.locator('.markdown').textContent(),
	    'Hello there, this answer arrives one word at a time.\n',
	    'the plain text was replaced by the rendered answer');
	assert.equal(await answer.locator('[data-stream-text]').count(), 0);
	const receipt = await answer.locator('[data-receipt]').innerText();
	assert.match(receipt, /openai\/fake-model/);
	assert.match(receipt, /\d+ prompt \/ \d+ completion \/ \d+ total/);
	assert.doesNotMatch(receipt, /estimated/, 'the provider reported the tokens');
	assert.match(receipt, /First token:?\s*[\d.]+ m?s/);
	assert.match(receipt, /Speed:?\s*([\d.]+ tokens\/s|–)/);
	assert.equal(await page.locator('form[data-stop-form]').isVisible(), false, 'Stop is gone');
	assert.equal(await page.locator('form[data-regenerate]').isVisible(), true,
	    'the answer can be regenerated');
	await page.waitForFunction(() =>
	    document.querySelector('h1').textContent === 'Tell me something nice please');
	assert.match(await page.title(), /^Tell me something nice please · Parley$/,
	    'the first exchange named the conversation, without a reload');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'field-content',
	    'focus stays in the composer');
	lib.assertNoConsoleErrors(page);
});

test('Shift+Enter starts a new line; the builtin assistant adds a task', async () => {
	const before = await page.locator('ol[data-messages] > li.msg').count();
	await composer().locator('select[name="model"]').selectOption('builtin/parley');
	await textarea().fill('first line');
	await textarea().press('Shift+Enter');
	await textarea().type('second line');
	assert.equal(await textarea().inputValue(), 'first line\nsecond line');
	assert.equal(await page.locator('ol[data-messages] > li.msg').count(), before,
	    'nothing was sent');

	await send('add a task to buy milk');
	await page.waitForFunction((n) =>
	    document.querySelectorAll('ol[data-messages] > li.msg').length === n + 2, before);
	await answered();
	const answer = lastAnswer();
	assert.match(await answer.locator('.markdown').textContent(), /milk/i);
	assert.match(await answer.locator('.tool-actions').textContent(), /Added task: buy milk/i,
	    'what the assistant did is listed under the answer');
	assert.match(await answer.locator('[data-receipt]').innerText(), /builtin\/parley/);
	assert.match(await answer.locator('[data-receipt]').innerText(), /\(estimated\)/);

	await lib.go(page, '/tasks');
	assert.equal(await page.locator('.task-title', { hasText: /^buy milk$/i }).count(), 1,
	    'the task is on /tasks');
	await lib.go(page, convPath);
	lib.assertNoConsoleErrors(page);
});

test('Stop ends an answer and keeps what was written', async () => {
	script('slow:400:one two three four five six seven eight nine ten eleven twelve thirteen fourteen');
	await send('count slowly please', 'openai/fake-model');
	const streaming = page.locator('li.msg.assistant.streaming [data-stream-text]');
	await page.waitForFunction(() => {
		const s = document.querySelector('li.msg.assistant.streaming [data-stream-text]');
		return s && /two/.test(s.textContent);
	});
	assert.match(await streaming.textContent(), /^one two/);
	await page.getByRole('button', { name: 'Stop the answer' }).click();
	await page.locator('ol[data-messages] > li.msg.assistant[data-status="stopped"]')
	    .waitFor({ timeout: 15000 });
	const answer = lastAnswer();
	assert.equal(await answer.locator('.stopped').textContent(), 'Stopped: this answer was cut short.');
	const text = await answer.locator('.markdown').textContent();
	assert.match(text, /^one two/, 'the partial answer is kept');
	assert.doesNotMatch(text, /fourteen/, 'and it was cut short');
	assert.equal(await page.locator('ol[data-messages]').getAttribute('aria-busy'), 'false');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'field-content',
	    'focus goes back to the composer');
	lib.assertNoConsoleErrors(page);
});

test('an answer still being written is followed after a reload', async () => {
	script('slow:250:alpha beta gamma delta epsilon zeta eta theta iota kappa');
	await send('say the greek letters', 'openai/fake-model');
	await page.waitForFunction(() => {
		const s = document.querySelector('li.msg.assistant.streaming [data-stream-text]');
		return s && /beta/.test(s.textContent);
	});
	// Closing the page does not stop the answer: the server owns it.
	await page.reload({ waitUntil: 'load' });
	const live = page.locator('ol[data-messages] > li.msg.assistant.streaming');
	assert.equal(await live.count(), 1, 'the reloaded page shows the answer being written');
	// What the page shows was saved on the server, which saves a growing answer at most
	// every 200 ms: it may be a word behind what the old page had shown, never empty.
	assert.match(await live.locator('[data-stream-text]').textContent(), /^alpha /,
	    'with its text so far');
	await page.waitForFunction(() => {
		const all = document.querySelectorAll('ol[data-messages] > li.msg.assistant');
		const li = all[all.length - 1];
		return li && /alpha beta gamma/.test(li.textContent);
	});
	assert.equal(await page.locator('ol[data-messages]').getAttribute('aria-busy'), 'true');
	await answered();
	const answer = lastAnswer();
	assert.equal(await answer.getAttribute('data-status'), 'complete');
	assert.equal(await answer.locator('.markdown').textContent(),
	    'alpha beta gamma delta epsilon zeta eta theta iota kappa\n', 'followed to its end');
	lib.assertNoConsoleErrors(page, (p) => /net::ERR_ABORTED|Failed to fetch|network error/i.test(p.text));
});

test('regenerate replaces the last answer with a new one', async () => {
	const old = await lastAnswer().getAttribute('id');
	const ids = await page.locator('ol[data-messages] > li.msg').evaluateAll((els) => els.map((e) => e.id));
	const count = ids.length;
	script('text:A second opinion.');
	await page.getByRole('button', { name: 'Regenerate the last answer' }).click();
	// The old answer leaves at once; wait for an answer that was not there before.
	await page.waitForFunction((known) => {
		const last = [...document.querySelectorAll('ol[data-messages] > li.msg.assistant')].pop();
		return last && !known.includes(last.id) && last.querySelector('[data-receipt]');
	}, ids);
	assert.equal(await page.locator(`[id="${old}"]`).count(), 0, 'the old answer is gone');
	assert.equal(await page.locator('ol[data-messages] > li.msg').count(), count,
	    'the question is answered once');
	assert.match(await lastAnswer().locator('.markdown').textContent(), /A second opinion\./);
	lib.assertNoConsoleErrors(page, (p) => /net::ERR_ABORTED|Failed to fetch|network error/i.test(p.text));
});

test('a model that fails shows its error in the conversation', async () => {
	script('status:500');
	await send('are you there?', 'openai/fake-model');
	const failed = page.locator('ol[data-messages] > li.msg.assistant[data-status="error"]');
	await failed.waitFor({ timeout: 20000 });
	assert.match(await failed.locator('.msg-error').textContent(), /^The answer failed: \S/,
	    'the error is shown with the answer');
	assert.equal(await page.locator('ol[data-messages] > li.msg.user').last().locator('.msg-body')
	    .textContent(), 'are you there?', 'the question is kept');
	assert.equal(await page.locator('ol[data-messages]').getAttribute('aria-busy'), 'false');
	assert.equal(await page.locator('form[data-composer] [data-send]').isDisabled(), false,
	    'the composer can send again');
	lib.assertNoConsoleErrors(page, (p) => /net::ERR_ABORTED|Failed to fetch|network error/i.test(p.text));
});

test('without JavaScript, sending waits for the answer and lands on it', async () => {
	const nojs = await lib.launch({ javaScriptEnabled: false });
	try {
		const p = await nojs.newPage();
		await lib.go(p, '/login');
		await lib.submitForm(p, 'form[action="/login"]', { email, password });
		await lib.go(p, convPath);
		assert.equal(await p.locator('[data-composer-hint]').textContent(),
		    'Sending waits for the whole answer, then shows it here.');
		await p.locator('#field-model').selectOption('builtin/parley');
		await p.locator('#field-content').fill('what are my tasks?');
		const res = await lib.navigate(p, () => p.getByRole('button', { name: 'Send' }).click());
		assert.equal(res.status(), 200);
		const u = new URL(p.url());
		assert.equal(u.pathname, convPath, 'back on the conversation');
		assert.match(u.hash, /^#[0-9a-f-]{36}$/, 'at the new answer');
		const answer = p.locator(`[id="${u.hash.slice(1)}"]`);
		assert.match(await answer.locator('.markdown').textContent(), /buy milk/i);
		assert.match(await answer.locator('[data-receipt]').innerText(), /builtin\/parley/);
		lib.assertNoConsoleErrors(p);
	} finally {
		await nojs.close();
	}
});
