// accounts.test.js: a person registers, signs out, signs in and lands on the chat page in a
// real browser, with no console errors anywhere. Run by t/0190-browser-accounts.t.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('./lib.js');

const email = `browser-${Date.now()}@example.com`;
const password = 'a browser password';
let b;
let page;
// Set when /chat does not exist yet (answers 404): that one error is then excused.
let chatMissing = false;

function landedOnChat(response, what) {
	assert.equal(lib.pathOf(page), '/chat', `${what} lands on /chat`);
	if (response && response.status() === 404) {
		chatMissing = true;
		lib.allowStatus(page, '/chat', 404);
	} else {
		assert.equal(response && response.status(), 200, 'the chat page loads');
	}
}

before(async () => {
	b = await lib.launch();
	page = await b.newPage();
});

after(async () => {
	if (b)
		await b.close();
});

test('a visitor is sent from / to the sign-in page', async () => {
	const res = await lib.go(page, '/');
	assert.equal(res.status(), 200);
	assert.equal(lib.pathOf(page), '/login');
	assert.equal(await page.locator('h1').textContent(), 'Sign in to Parley');
	lib.assertNoConsoleErrors(page);
});

test('the register form shows its errors by the field and keeps what was typed', async () => {
	await lib.navigate(page, () => page.getByRole('link', { name: 'Create an account' }).click());
	assert.equal(lib.pathOf(page), '/register');
	// Turn off the browser's own checks so the server's answer is what is seen.
	await page.locator('form[action="/register"]').evaluate((f) => { f.noValidate = true; });
	const res = await lib.submitForm(page, 'form[action="/register"]', {
		email, name: 'Browser Person', password: 'short',
	});
	assert.equal(res.status(), 422);
	lib.allowStatus(page, '/register', 422);
	assert.equal(await page.locator('#password').getAttribute('aria-invalid'), 'true');
	const described = await page.locator('#password').getAttribute('aria-describedby');
	assert.match(described, /password-error/);
	assert.match(await page.locator('#password-error').textContent(), /at least 8 characters/);
	assert.equal(await page.locator('#email').inputValue(), email);
	assert.equal(await page.locator('#password').inputValue(), '');
	assert.equal(await page.getByRole('alert').count(), 1);
	lib.assertNoConsoleErrors(page);
});

test('registering signs in and opens the chat page', async () => {
	const res = await lib.submitForm(page, 'form[action="/register"]', {
		email, name: 'Browser Person', password,
	});
	landedOnChat(res, 'registering');
	const cookies = await b.context.cookies();
	const session = cookies.find((c) => c.name === 'parley_session');
	assert.ok(session, 'a session cookie is set');
	assert.equal(session.httpOnly, true);
	assert.equal(session.sameSite, 'Lax');
	assert.equal(await page.evaluate(() => document.cookie.includes('parley_session')), false,
	    'scripts cannot read the session cookie');
	lib.assertNoConsoleErrors(page);
});

test('the account page shows the account, and signing out goes to the sign-in page', async () => {
	const res = await lib.go(page, '/account');
	assert.equal(res.status(), 200);
	assert.match(await page.locator('main').textContent(), new RegExp(email.replace(/\./g, '\\.')));
	await lib.navigate(page, () => page.getByRole('button', { name: 'Sign out' }).first().click());
	assert.equal(lib.pathOf(page), '/login');
	const cookies = await b.context.cookies();
	assert.equal(cookies.find((c) => c.name === 'parley_session'), undefined, 'the session cookie is gone');
	const again = await lib.go(page, '/account');
	assert.equal(again.status(), 200);
	assert.equal(lib.pathOf(page), '/login?next=%2Faccount', 'the account page asks for a login again');
	lib.assertNoConsoleErrors(page);
});

test('a wrong password is refused with the generic message', async () => {
	const res = await lib.submitForm(page, 'form[action="/login"]', { email, password: 'not the password' });
	assert.equal(res.status(), 401);
	lib.allowStatus(page, '/login', 401);
	assert.match(await page.getByRole('alert').textContent(), /Wrong email or password\./);
	assert.equal(await page.locator('#email').inputValue(), email);
	assert.equal(await page.locator('#password').getAttribute('aria-invalid'), 'true');
	lib.assertNoConsoleErrors(page);
});

test('signing in goes back to the page that asked for it, then on to the chat page', async () => {
	await lib.go(page, '/account');
	const res = await lib.submitForm(page, 'form[action="/login"]', { email, password });
	assert.equal(res.status(), 200);
	assert.equal(lib.pathOf(page), '/account', 'back to /account after the login');
	const home = await lib.go(page, '/');
	landedOnChat(home, '/ when signed in');
	lib.assertNoConsoleErrors(page);
});

test('no page printed a console error', () => {
	// Each step checked its own page; this catches anything logged since.
	lib.assertNoConsoleErrors(page);
	if (chatMissing)
		console.log('# note: /chat answered 404 (not built yet); only that error was excused');
});
