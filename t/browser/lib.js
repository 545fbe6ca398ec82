// lib.js: the browser test harness: Debian's headless Chromium driven by playwright-core.
//
// Never a downloaded browser: the executable is /usr/bin/chromium (or $CHROMIUM), with a
// fresh profile per launch and every phone-home feature turned off. Tests are node:test
// files run by a t/NNNN-browser-*.t script, which starts PostgreSQL, parley and nginx and
// passes BASE_URL (and T, its temp folder) in the environment.
//
//	const { test, before, after } = require('node:test');
//	const lib = require('./lib.js');
//	let b;
//	before(async () => { b = await lib.launch(); });
//	after(async () => { await b.close(); });
//	test('...', async () => {
//		const page = await b.newPage();
//		await lib.go(page, '/login');
//		lib.assertNoConsoleErrors(page);
//	});
//
// A page that answers 4xx on purpose (a form with errors) makes Chromium log an error;
// after checking the status, excuse it with lib.allowStatus(page, '/register', 422).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');

// What Chromium must not do in a test: sandboxing needs privileges a CI box lacks, and
// the rest would reach out to the network or make timing noisy.
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

// Starts Chromium with a fresh profile. Resolves to { context, newPage(), close() }.
async function launch(options = {}) {
	const base = process.env.T && fs.existsSync(process.env.T) ? process.env.T : os.tmpdir();
	const profile = fs.mkdtempSync(path.join(base, 'chromium-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_ARGS,
		// The profile above is --user-data-dir; Playwright passes it.
		viewport: { width: 1280, height: 900 },
		locale: 'en-US',
		timeout: 60000,
		...options,
	});
	context.setDefaultTimeout(15000);
	context.setDefaultNavigationTimeout(30000);
	return {
		context,
		newPage: () => newPage(context),
		async close() {
			await context.close().catch(() => {});
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

// A new tab that records its console errors and uncaught exceptions in page.problems:
// [{ kind: 'console' | 'pageerror', text, url }].
async function newPage(context) {
	const page = await context.newPage();
	page.problems = [];
	page.allowed = [];
	page.on('console', (msg) => {
		if (msg.type() === 'error')
			page.problems.push({ kind: 'console', text: msg.text(), url: msg.location().url || '' });
	});
	page.on('pageerror', (err) => {
		page.problems.push({ kind: 'pageerror', text: String(err && err.stack || err), url: page.url() });
	});
	return page;
}

// The absolute URL of a path on the server under test.
function url(p) {
	return BASE_URL + p;
}

// The path (and query) of the page's current URL.
function pathOf(page) {
	const u = new URL(page.url());
	return u.pathname + u.search;
}

// Opens a path; resolves to the main response (whose status() tells how it went).
async function go(page, p) {
	return page.goto(url(p), { waitUntil: 'load' });
}

// Runs action (which submits a form or follows a link) and waits for the next page to load.
// Resolves to the final response.
async function navigate(page, action) {
	const [response] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		action(),
	]);
	return response;
}

// Fills fields {selectorOrName: value} in the form matching formSelector, then submits it
// with its submit button, and waits for the next page. Names are looked up as [name="..."].
async function submitForm(page, formSelector, fields) {
	const form = page.locator(formSelector);
	for (const [key, value] of Object.entries(fields)) {
		const sel = /^[a-z_]+$/.test(key) ? `[name="${key}"]` : key;
		await form.locator(sel).fill(value);
	}
	return navigate(page, () => form.locator('[type="submit"]').first().click());
}

// Chromium logs an error for every page that answers 4xx or 5xx, also a form shown again
// with its errors (422). A test that expects such an answer, and checked it, says so here:
// the console error for that path and status is then not counted.
function allowStatus(page, p, status) {
	page.allowed.push({ path: p, status });
}

function isAllowed(page, problem) {
	const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(problem.text);
	if (problem.kind !== 'console' || !m || !problem.url)
		return false;
	const u = new URL(problem.url);
	return page.allowed.some((a) => a.status === Number(m[1]) && a.path === u.pathname + u.search);
}

// Fails, listing them, when the page logged console errors or threw, but for the answers
// allowed with allowStatus(). ignore(problem) may excuse another known one.
function assertNoConsoleErrors(page, ignore = () => false) {
	const left = page.problems.filter((p) => !isAllowed(page, p) && !ignore(p));
	assert.deepEqual(left, [], 'no console errors or uncaught exceptions');
}

module.exports = {
	BASE_URL,
	CHROMIUM,
	CHROMIUM_ARGS,
	launch,
	newPage,
	url,
	pathOf,
	go,
	navigate,
	submitForm,
	allowStatus,
	assertNoConsoleErrors,
};
